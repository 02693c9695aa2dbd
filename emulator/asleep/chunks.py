"""Is an uploaded chunk acceptable for its session's ``inference_type``?

The v1.0 error table (asleep-api.md §2.4, §3.5) gives the rules: an AUDIO session
takes 30-second mp3/wav chunks at 16/44.1/48 kHz under 10 MB (400 with the vendor's
text otherwise); a MELSPECTROGRAM file sent to an AUDIO-only session is refused with
its own 400 text; MELSPECTROGRAM sessions take the SDK's ``.npy`` mel spectrograms,
and anything else is the upload's 422 ``Not valid parameter``. The checks live in
``emulator.audio`` (vendor-neutral verdicts); this module picks one and turns a failed
verdict into the documented error and text. The precise reason travels in an
``x-emulator-reason`` header, so the body stays byte-for-byte the vendor's. The bytes
are never kept.
"""

from __future__ import annotations

from emulator.asleep import errors
from emulator.asleep.settings import AsleepSettings
from emulator.audio import Problem, Verdict, check_chunk, check_spectrogram

REASON_HEADER = "x-emulator-reason"


def check(inference_type: str, data: bytes, settings: AsleepSettings) -> None:
    """Raise the documented 400/422 unless ``data`` fits the session's inference type."""
    if inference_type == "AUDIO":
        verdict = check_chunk(
            data,
            chunk_seconds=settings.chunk_seconds,
            tolerance_seconds=settings.chunk_tolerance_seconds,
            allowed_rates=settings.allowed_rates,
            max_bytes=settings.chunk_max_bytes,
        )
    else:
        verdict = check_spectrogram(data)
    if verdict.ok:
        return
    headers = _reason(verdict)
    if verdict.problem is Problem.SPECTROGRAM_NOT_AUDIO:
        raise errors.MelspectrogramToAudioSession(headers=headers)
    if verdict.problem is Problem.NOT_SPECTROGRAM:
        raise errors.NotValidParameter(headers=headers)
    raise errors.BadAudio(
        audio_message(settings.chunk_seconds, settings.allowed_rates, settings.chunk_max_bytes),
        headers=headers,
    )


def audio_message(chunk_seconds: float, allowed_rates: tuple[int, ...], max_bytes: int) -> str:
    """The vendor's 400 text, built from the session's parameters.

    Vendor wording (docs.asleep.ai v1.0 error table): audio must be
    ``<sleep_session.sleep_sound_length>`` seconds long, at 16/44.1/48 kHz, in
    mp3 or wav, and smaller than 10 MB.
    """
    rates = [f"{rate / 1000:g}kHz" for rate in allowed_rates]
    rate_text = rates[0] if len(rates) == 1 else ", ".join(rates[:-1]) + " or " + rates[-1]
    return (
        f"Audio file must be {chunk_seconds:g} seconds long, {rate_text}, mp3 or wav,"
        f" and smaller than {_size_text(max_bytes)}"
    )


def _size_text(size: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale and size % scale == 0:
            return f"{size // scale}{unit}"
    return f"{size} bytes"


def _reason(verdict: Verdict) -> dict[str, str]:
    text = verdict.reason or ""
    # Header values are latin-1 and single-line.
    clean = " ".join(text.encode("ascii", "replace").decode("ascii").split())[:300]
    return {REASON_HEADER: clean} if clean else {}
