"""Is an uploaded chunk acceptable for its session's ``inference_type``?

The v1.0 error table (asleep-api.md §2.4, §3.5) gives the rules: an AUDIO session
takes 30-second mp3/wav chunks at 16/44.1/48 kHz under 10 MB (400 with the vendor's
text otherwise); a MELSPECTROGRAM file sent to an AUDIO-only session is refused with
its own 400 text; MELSPECTROGRAM sessions take the SDK's ``.npy`` mel spectrograms,
and anything else is the upload's 422 ``Not valid parameter``. The checks live in
``emulator.audio``; this module picks one and turns a failed verdict into the
documented error. The precise reason travels in an ``x-emulator-reason`` header, so
the body stays byte-for-byte the vendor's. The bytes are never kept.
"""

from __future__ import annotations

from emulator.asleep import errors
from emulator.asleep.settings import AsleepSettings
from emulator.audio import (
    AsleepCode,
    Verdict,
    check_asleep_audio_chunk,
    check_asleep_melspectrogram,
)

REASON_HEADER = "x-emulator-reason"


def check(inference_type: str, data: bytes, settings: AsleepSettings) -> None:
    """Raise the documented 400/422 unless ``data`` fits the session's inference type."""
    if inference_type == "AUDIO":
        verdict = check_asleep_audio_chunk(
            data,
            chunk_seconds=settings.chunk_seconds,
            tolerance_seconds=settings.chunk_tolerance_seconds,
            allowed_rates=settings.allowed_rates,
            max_bytes=settings.chunk_max_bytes,
        )
    else:
        verdict = check_asleep_melspectrogram(data)
    if verdict.ok:
        return
    headers = _reason(verdict)
    if verdict.code == AsleepCode.MELSPECTROGRAM_NOT_ALLOWED:
        raise errors.MelspectrogramToAudioSession(headers=headers)
    if verdict.code == AsleepCode.INVALID_MELSPECTROGRAM:
        raise errors.NotValidParameter(headers=headers)
    raise errors.BadAudio(verdict.message, headers=headers)


def _reason(verdict: Verdict) -> dict[str, str]:
    text = verdict.reason or verdict.message or ""
    # Header values are latin-1 and single-line.
    clean = " ".join(text.encode("ascii", "replace").decode("ascii").split())[:300]
    return {REASON_HEADER: clean} if clean else {}
