"""Acceptance rules for uploads as pure functions: bytes in, a neutral `Verdict` out.

Three kinds of upload, each with its thresholds as parameters (a vendor passes its
documented values; nothing here names a vendor, a vendor code or a vendor message):

* `check_voice`: a WAV recording of a voice (container, sample rate, channels, and
  seconds of voice measured by `emulator.audio.voice`);
* `check_chunk`: a fixed-length chunk of a longer recording (WAV or MP3, size, rate,
  duration);
* `check_spectrogram`: a 2-D numeric ``.npy`` array.

A rejection says *what* failed (`Problem`) and *why* in plain words (``reason``, with
the measured values); the vendor package turns that into its own code and message.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from emulator.audio.errors import ErrorCode
from emulator.audio.probe import AudioInfo, inspect_audio
from emulator.audio.settings import MAX_SCAN_SECONDS, Detector
from emulator.audio.sniff import Container
from emulator.audio.voice import VoiceReport, measure_voice

Bytes = bytes | bytearray | memoryview


class Problem(StrEnum):
    """What made an upload unacceptable."""

    NOT_WAV = "not_wav"  # another container (MP3, FLAC, ...) or no audio at all
    UNREADABLE = "unreadable"  # a WAV whose structure cannot be read
    UNSUPPORTED_ENCODING = "unsupported_encoding"  # a WAV codec not decoded (ADPCM, A-law)
    SAMPLE_RATE_TOO_LOW = "sample_rate_too_low"
    TOO_MANY_CHANNELS = "too_many_channels"
    TOO_LITTLE_VOICE = "too_little_voice"
    TOO_LARGE = "too_large"
    NOT_AUDIO = "not_audio"  # neither WAV nor MP3
    SPECTROGRAM_NOT_AUDIO = "spectrogram_not_audio"  # a .npy array where audio belongs
    SAMPLE_RATE_NOT_ALLOWED = "sample_rate_not_allowed"
    NO_FRAMES = "no_frames"
    TOO_LONG = "too_long"
    TOO_SHORT = "too_short"
    NOT_SPECTROGRAM = "not_spectrogram"  # not a 2-D numeric .npy array


@dataclass(frozen=True, slots=True)
class Verdict:
    """Accepted, or rejected with the `Problem` and a precise ``reason``.

    ``voice`` is set when voice was measured; if measuring stopped early on success
    its ``seconds`` is a lower bound that already meets the threshold.
    """

    ok: bool
    problem: Problem | None
    info: AudioInfo
    reason: str | None = None
    voice: VoiceReport | None = None

    @property
    def voice_seconds(self) -> float | None:
        return None if self.voice is None else self.voice.seconds


def _reject(problem: Problem, info: AudioInfo, reason: str) -> Verdict:
    return Verdict(False, problem, info, reason)


def check_voice(
    data: Bytes,
    *,
    min_sample_rate: int = 8000,
    max_channels: int = 1,
    min_voice_seconds: float = 30.0,
    detector: Detector = "silero",
    max_scan_seconds: float | None = MAX_SCAN_SECONDS,
    profile_seconds: float = 0.0,
    early_stop: bool = True,
) -> Verdict:
    """A voice recording: WAV only, at least ``min_sample_rate``, at most
    ``max_channels``, and ``min_voice_seconds`` of voice once silence and non-voice
    are removed.

    With ``early_stop`` measuring ends once ``min_voice_seconds`` of voice (or
    ``profile_seconds``, if more: the voice a `VoiceProfile` should describe) are
    found: the same verdict, less work.
    """
    info = inspect_audio(data)
    if info.container is not Container.WAV:
        return _reject(Problem.NOT_WAV, info, f"file looks like {info.container}, not WAV")
    if info.error is not None or info.wav is None:
        # A codec we cannot read (ADPCM, A-law, ...) is a WAV of another specification;
        # a broken header means it is no standard WAV at all.
        unsupported = info.error is not None and info.error.code is ErrorCode.UNSUPPORTED_ENCODING
        problem = Problem.UNSUPPORTED_ENCODING if unsupported else Problem.UNREADABLE
        return _reject(problem, info, info.error.message if info.error else "unreadable header")
    if info.wav.sample_rate < min_sample_rate:
        reason = f"sample rate {info.wav.sample_rate} Hz is below {min_sample_rate} Hz"
        return _reject(Problem.SAMPLE_RATE_TOO_LOW, info, reason)
    if info.wav.channels > max_channels:
        reason = f"{info.wav.channels} channels; at most {max_channels} allowed"
        return _reject(Problem.TOO_MANY_CHANNELS, info, reason)
    stop = max(min_voice_seconds, profile_seconds) if early_stop else None
    voice = measure_voice(
        data, info=info.wav, detector=detector, stop_after=stop, max_seconds=max_scan_seconds
    )
    if voice.seconds < min_voice_seconds:
        reason = f"{voice.seconds:.2f} s of voice; {min_voice_seconds:g} s needed"
        if voice.capped:
            reason += f" (only the first {max_scan_seconds:g} s of audio are analysed)"
        return Verdict(False, Problem.TOO_LITTLE_VOICE, info, reason, voice)
    return Verdict(True, None, info, None, voice)


def check_chunk(
    data: Bytes,
    *,
    chunk_seconds: float = 30.0,
    tolerance_seconds: float = 1.0,
    allowed_rates: tuple[int, ...] = (16000, 44100, 48000),
    max_bytes: int = 10 * 1024 * 1024,
    allow_short: bool = True,
) -> Verdict:
    """One chunk of a longer recording: WAV or MP3, smaller than ``max_bytes``, at an
    allowed rate, ``chunk_seconds`` long (+- the tolerance; shorter is fine with
    ``allow_short``: the last chunk of a recording is usually partial)."""
    info = inspect_audio(data)
    if info.container is Container.NPY:
        return _reject(Problem.SPECTROGRAM_NOT_AUDIO, info, "a .npy array, not audio")
    found = _chunk_problem(info, chunk_seconds, tolerance_seconds, allowed_rates, max_bytes)
    if found is not None and (found[0] is not Problem.TOO_SHORT or not allow_short):
        return _reject(found[0], info, found[1])
    return Verdict(True, None, info)


def _chunk_problem(
    info: AudioInfo,
    chunk_seconds: float,
    tolerance_seconds: float,
    allowed_rates: tuple[int, ...],
    max_bytes: int,
) -> tuple[Problem, str] | None:
    if info.size_bytes >= max_bytes:
        reason = f"file is {info.size_bytes} bytes; it must be smaller than {max_bytes}"
        return Problem.TOO_LARGE, reason
    if info.container not in (Container.WAV, Container.MP3):
        return Problem.NOT_AUDIO, f"file looks like {info.container}, not mp3 or wav"
    if info.error is not None:
        return Problem.UNREADABLE, info.error.message
    if info.sample_rate not in allowed_rates:
        reason = f"sample rate {info.sample_rate} Hz is not one of {allowed_rates}"
        return Problem.SAMPLE_RATE_NOT_ALLOWED, reason
    duration = info.duration_seconds or 0.0
    if duration <= 0:
        return Problem.NO_FRAMES, "file contains no audio frames"
    bounds = f"{chunk_seconds:g} +- {tolerance_seconds:g} s"
    if duration > chunk_seconds + tolerance_seconds:
        return Problem.TOO_LONG, f"{duration:.2f} s is longer than {bounds}"
    if duration < chunk_seconds - tolerance_seconds:
        return Problem.TOO_SHORT, f"{duration:.2f} s is shorter than {bounds}"
    return None


def check_spectrogram(data: Bytes) -> Verdict:
    """A spectrogram: a 2-D numeric ``.npy`` array."""
    info = inspect_audio(data)
    if info.container is not Container.NPY:
        reason = f"file looks like {info.container}, not a .npy array"
    elif info.error is not None:
        reason = info.error.message
    else:
        return Verdict(True, None, info)
    return _reject(Problem.NOT_SPECTROGRAM, info, reason)
