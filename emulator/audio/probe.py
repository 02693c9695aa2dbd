"""`inspect_audio`: say what a byte string is, without ever raising.

This is the one entry point that turns parser exceptions into values: it
sniffs the container, runs the matching parser (WAV, MP3 frame walk, ``.npy``
header) and returns an `AudioInfo` whose ``error`` says what, if anything, is
wrong. Work and memory are bounded by the input size; no samples are decoded.
"""

from __future__ import annotations

from dataclasses import dataclass

from emulator.audio.decode import as_bytes_view
from emulator.audio.errors import AudioError, AudioFormatError, AudioWarning, ErrorCode
from emulator.audio.mp3 import Mp3Info, parse_mp3
from emulator.audio.npy import NpyInfo, parse_npy
from emulator.audio.sniff import Container, sniff_container
from emulator.audio.wav import Encoding, WavInfo, parse_wav

_NOT_AUDIO = "not a recognised audio file (no WAV, MP3, FLAC, Ogg, MP4 or .npy signature)"


@dataclass(frozen=True, slots=True)
class AudioInfo:
    """What the bytes are. Format fields are None when unknown for that container.

    ``frames`` is the number of sample frames (samples per channel). FLAC, Ogg
    and M4A are recognised but not parsed, so only ``container`` is set for them.
    """

    container: Container
    size_bytes: int
    error: AudioError | None = None
    warnings: tuple[AudioWarning, ...] = ()
    encoding: Encoding | None = None
    sample_rate: int | None = None
    channels: int | None = None
    bits_per_sample: int | None = None
    frames: int | None = None
    duration_seconds: float | None = None
    wav: WavInfo | None = None
    mp3: Mp3Info | None = None
    npy: NpyInfo | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def inspect_audio(data: bytes | bytearray | memoryview) -> AudioInfo:
    """Identify and parse ``data``; never raises."""
    try:
        view = as_bytes_view(data)
        container = sniff_container(view)
    except (TypeError, ValueError, BufferError) as exc:  # not a byte buffer at all
        return AudioInfo(Container.GARBAGE, 0, AudioError(ErrorCode.UNREADABLE, str(exc)))
    try:
        return _parse(view, container)
    except AudioFormatError as exc:
        return AudioInfo(container, len(view), exc.error)
    except Exception as exc:  # the contract is "never raises"
        # Property tests drive the parsers with mutated and random input and
        # find nothing but AudioFormatError; this net keeps a future parser bug
        # from becoming a 500 in a vendor route.
        message = f"could not read the file ({type(exc).__name__})"
        return AudioInfo(container, len(view), AudioError(ErrorCode.UNREADABLE, message))


def _parse(view: memoryview, container: Container) -> AudioInfo:
    size = len(view)
    if container is Container.WAV:
        return _from_wav(parse_wav(view), size)
    if container is Container.MP3:
        return _from_mp3(parse_mp3(view), size)
    if container is Container.NPY:
        return AudioInfo(container, size, npy=parse_npy(view))
    if container is Container.EMPTY:
        return AudioInfo(container, size, AudioError(ErrorCode.EMPTY, "file is empty"))
    if container is Container.GARBAGE:
        riff = bytes(view[:4]) == b"RIFF"
        error = (
            AudioError(ErrorCode.NOT_WAVE, f"RIFF file of type {bytes(view[8:12])!r}, not WAVE")
            if riff
            else AudioError(ErrorCode.UNRECOGNISED, _NOT_AUDIO)
        )
        return AudioInfo(container, size, error)
    return AudioInfo(container, size)


def _from_wav(wav: WavInfo, size: int) -> AudioInfo:
    return AudioInfo(
        Container.WAV,
        size,
        warnings=wav.warnings,
        encoding=wav.encoding,
        sample_rate=wav.sample_rate,
        channels=wav.channels,
        bits_per_sample=wav.bits_per_sample,
        frames=wav.frames,
        duration_seconds=wav.duration_seconds,
        wav=wav,
    )


def _from_mp3(mp3: Mp3Info, size: int) -> AudioInfo:
    return AudioInfo(
        Container.MP3,
        size,
        sample_rate=mp3.sample_rate,
        channels=mp3.channels,
        frames=mp3.samples,
        duration_seconds=mp3.duration_seconds,
        mp3=mp3,
    )
