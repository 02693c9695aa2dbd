"""Vendor audio policies as pure functions: bytes in, a `Verdict` out.

Thresholds are parameters (the app's settings hold them); the defaults are the
vendors' documented values. Each rejection carries the vendor's code and
message, plus a precise ``reason`` for logs and tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from emulator.audio.decode import as_bytes_view
from emulator.audio.errors import ErrorCode
from emulator.audio.probe import AudioInfo, inspect_audio
from emulator.audio.sniff import Container, sniff_container
from emulator.audio.vad import voice_activity

Bytes = bytes | bytearray | memoryview


class KintsugiCode(StrEnum):
    """Kintsugi 422 error codes (v1 docs, Predict errors; body ``{"error": code}``)."""

    UNSTANDARD_AUDIO = "unstandard_audio"
    UNSUPPORTED_AUDIO_SPEC = "unsupported_audio_spec"
    INSUFFICIENT_AUDIO_LENGTH = "insufficient_audio_length"


class AsleepCode(StrEnum):
    """Asleep upload rejections (docs.asleep.ai v1.0 error table; see asleep-api.md §3.5).

    ``invalid_audio`` and ``melspectrogram_not_allowed`` are 400s;
    ``invalid_melspectrogram`` is our name for the 422 "Not valid parameter".
    """

    INVALID_AUDIO = "invalid_audio"
    MELSPECTROGRAM_NOT_ALLOWED = "melspectrogram_not_allowed"
    INVALID_MELSPECTROGRAM = "invalid_melspectrogram"


class UploadKind(StrEnum):
    """Asleep session ``inference_type`` an uploaded file belongs to."""

    AUDIO = "AUDIO"
    MELSPECTROGRAM = "MELSPECTROGRAM"
    UNKNOWN = "UNKNOWN"


MELSPECTROGRAM_NOT_ALLOWED = (
    "MELSPECTROGRAM file cannot be uploaded. Only AUDIO file can be uploaded."
)
_KINTSUGI_MESSAGES = {
    # The seed's error table swaps the first two descriptions; the mapping here
    # (not a WAV -> unstandard_audio) is the one the project fixed.
    KintsugiCode.UNSTANDARD_AUDIO: (
        "The provided audio file is not a WAV file. Double check that it is an audio file"
        " and a WAV file instead of an MP3 or other audio format."
    ),
    KintsugiCode.UNSUPPORTED_AUDIO_SPEC: (
        "The specification of the provided audio does not match the expected specification."
    ),
    KintsugiCode.INSUFFICIENT_AUDIO_LENGTH: (
        "The provided audio file does not contain at least {seconds} seconds of voice. While it"
        " may be longer than {seconds} seconds, removing silence and non-voice brings the"
        " length below {seconds} seconds."
    ),
}


@dataclass(frozen=True, slots=True)
class Verdict:
    """Accepted, or rejected with a vendor ``code`` and ``message``.

    ``reason`` says precisely which check failed. ``voice_seconds`` is set when
    voice was measured; if the check stopped early on success it is a lower
    bound that already meets the threshold.
    """

    ok: bool
    code: str | None
    message: str | None
    info: AudioInfo
    reason: str | None = None
    voice_seconds: float | None = None


def _reject(code: str, message: str, info: AudioInfo, reason: str) -> Verdict:
    return Verdict(False, code, message, info, reason)


def _kintsugi_reject(
    code: KintsugiCode,
    info: AudioInfo,
    reason: str,
    *,
    min_voice_seconds: float = 30.0,
    voice_seconds: float | None = None,
) -> Verdict:
    message = _KINTSUGI_MESSAGES[code].format(seconds=f"{min_voice_seconds:g}")
    return Verdict(False, code, message, info, reason, voice_seconds)


def check_kintsugi(
    data: Bytes,
    *,
    min_sample_rate: int = 8000,
    max_channels: int = 1,
    min_voice_seconds: float = 30.0,
    early_stop: bool = True,
) -> Verdict:
    """Kintsugi's audio guardrails (v1 docs, Audio File Specification).

    WAV only; at least 8 kHz; one channel (the patient's); at least 30 s of
    voice after removing silence and non-voice. With ``early_stop`` voice
    measuring ends once the threshold is certainly met (same verdict, less work).
    """
    info = inspect_audio(data)
    if info.container is not Container.WAV:
        reason = f"file looks like {info.container}, not WAV"
        return _kintsugi_reject(KintsugiCode.UNSTANDARD_AUDIO, info, reason)
    if info.error is not None or info.wav is None:
        # A WAV with a codec we cannot read (ADPCM, A-law, ...) is a WAV of the
        # wrong specification; a broken header means it is no standard WAV.
        unsupported = info.error is not None and info.error.code is ErrorCode.UNSUPPORTED_ENCODING
        code = KintsugiCode.UNSUPPORTED_AUDIO_SPEC if unsupported else KintsugiCode.UNSTANDARD_AUDIO
        reason = info.error.message if info.error else "WAV header could not be read"
        return _kintsugi_reject(code, info, reason)
    spec = KintsugiCode.UNSUPPORTED_AUDIO_SPEC
    if info.wav.sample_rate < min_sample_rate:
        reason = f"sample rate {info.wav.sample_rate} Hz is below {min_sample_rate} Hz"
        return _kintsugi_reject(spec, info, reason)
    if info.wav.channels > max_channels:
        reason = f"{info.wav.channels} channels; at most {max_channels} allowed"
        return _kintsugi_reject(spec, info, reason)
    stop = min_voice_seconds if early_stop else None
    voice = voice_activity(data, info=info.wav, stop_after=stop).seconds
    if voice < min_voice_seconds:
        reason = f"{voice:.2f} s of voice; {min_voice_seconds:g} s needed"
        return _kintsugi_reject(
            KintsugiCode.INSUFFICIENT_AUDIO_LENGTH,
            info,
            reason,
            min_voice_seconds=min_voice_seconds,
            voice_seconds=voice,
        )
    return Verdict(True, None, None, info, None, voice)


def asleep_audio_message(
    chunk_seconds: float, allowed_rates: tuple[int, ...], max_bytes: int
) -> str:
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


def asleep_upload_kind(data: Bytes) -> UploadKind:
    """Tell an AUDIO upload (WAV/MP3) from a MELSPECTROGRAM one (``.npy``) by magic bytes."""
    try:
        container = sniff_container(as_bytes_view(data))
    except (TypeError, ValueError, BufferError):
        return UploadKind.UNKNOWN
    if container is Container.NPY:
        return UploadKind.MELSPECTROGRAM
    if container in (Container.WAV, Container.MP3):
        return UploadKind.AUDIO
    return UploadKind.UNKNOWN


def check_asleep_audio_chunk(
    data: Bytes,
    *,
    chunk_seconds: float = 30.0,
    tolerance_seconds: float = 1.0,
    allowed_rates: tuple[int, ...] = (16000, 44100, 48000),
    max_bytes: int = 10 * 1024 * 1024,
    allow_short: bool = True,
) -> Verdict:
    """One chunk uploaded to an Asleep AUDIO session.

    ``allow_short`` accepts chunks shorter than ``chunk_seconds``: the last
    chunk of a night is usually partial. Longer than ``chunk_seconds +
    tolerance_seconds`` is always rejected.
    """
    info = inspect_audio(data)
    if info.container is Container.NPY:
        code, reason = AsleepCode.MELSPECTROGRAM_NOT_ALLOWED, "a .npy file sent to an AUDIO session"
        return _reject(code, MELSPECTROGRAM_NOT_ALLOWED, info, reason)
    problem = _asleep_audio_problem(
        info, chunk_seconds, tolerance_seconds, allowed_rates, max_bytes, allow_short
    )
    if problem is None:
        return Verdict(True, None, None, info)
    message = asleep_audio_message(chunk_seconds, allowed_rates, max_bytes)
    return _reject(AsleepCode.INVALID_AUDIO, message, info, problem)


def _asleep_audio_problem(
    info: AudioInfo,
    chunk_seconds: float,
    tolerance_seconds: float,
    allowed_rates: tuple[int, ...],
    max_bytes: int,
    allow_short: bool,
) -> str | None:
    if info.size_bytes >= max_bytes:
        return f"file is {info.size_bytes} bytes; it must be smaller than {max_bytes}"
    if info.container not in (Container.WAV, Container.MP3):
        return f"file looks like {info.container}, not mp3 or wav"
    if info.error is not None:
        return info.error.message
    if info.sample_rate not in allowed_rates:
        return f"sample rate {info.sample_rate} Hz is not one of {allowed_rates}"
    duration = info.duration_seconds or 0.0
    if duration <= 0:
        return "file contains no audio frames"
    if duration > chunk_seconds + tolerance_seconds:
        return f"{duration:.2f} s is longer than {chunk_seconds:g} +- {tolerance_seconds:g} s"
    if duration < chunk_seconds - tolerance_seconds and not allow_short:
        return f"{duration:.2f} s is shorter than {chunk_seconds:g} +- {tolerance_seconds:g} s"
    return None


def check_asleep_melspectrogram(data: Bytes) -> Verdict:
    """One chunk uploaded to a MELSPECTROGRAM session: a 2-D numeric ``.npy`` array."""
    info = inspect_audio(data)
    if info.container is not Container.NPY:
        reason = f"file looks like {info.container}, not a .npy array"
    elif info.error is not None:
        reason = info.error.message
    else:
        return Verdict(True, None, None, info)
    message = f"Not valid parameter: file is not a valid mel spectrogram (.npy) array: {reason}"
    return _reject(AsleepCode.INVALID_MELSPECTROGRAM, message, info, reason)
