"""Typed reasons why a byte string is not usable audio, and tolerated oddities.

Every parser in ``emulator.audio`` reports a problem by raising `AudioFormatError`,
which carries an `AudioError` (a reason code plus a human message).
`emulator.audio.inspect_audio` turns that exception into a value, so callers
never need a ``try``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum, auto


class ErrorCode(StrEnum):
    """Why bytes could not be read as audio (or as a ``.npy`` array)."""

    EMPTY = "empty"
    UNRECOGNISED = "unrecognised_format"
    UNREADABLE = "unreadable"
    # RIFF/WAVE structure
    NOT_WAVE = "not_wave"
    BIG_ENDIAN_RIFX = "big_endian_rifx"
    RF64_UNSUPPORTED = "rf64_unsupported"
    TRUNCATED_HEADER = "truncated_header"
    CHUNK_PAST_END = "chunk_past_end"
    TOO_MANY_CHUNKS = "too_many_chunks"
    RIFF_SIZE_MISMATCH = "riff_size_mismatch"
    MISSING_FMT = "missing_fmt_chunk"
    FMT_AFTER_DATA = "fmt_after_data"
    DUPLICATE_FMT = "duplicate_fmt_chunk"
    MISSING_DATA = "missing_data_chunk"
    # fmt chunk contents
    MALFORMED_FMT = "malformed_fmt_chunk"
    UNSUPPORTED_ENCODING = "unsupported_encoding"
    INVALID_CHANNELS = "invalid_channel_count"
    INVALID_SAMPLE_RATE = "invalid_sample_rate"
    BLOCK_ALIGN_MISMATCH = "block_align_mismatch"
    # MPEG audio
    MP3_NO_FRAME = "mp3_no_frame"
    MP3_FREE_FORMAT = "mp3_free_format"
    # .npy
    NPY_TRUNCATED = "npy_truncated"
    NPY_BAD_MAGIC = "npy_bad_magic"
    NPY_BAD_VERSION = "npy_bad_version"
    NPY_BAD_HEADER = "npy_bad_header"
    NPY_BAD_DTYPE = "npy_bad_dtype"
    NPY_BAD_SHAPE = "npy_bad_shape"
    NPY_PAYLOAD_MISMATCH = "npy_payload_mismatch"


class WarningCode(StrEnum):
    """Oddities that real-world writers produce and decoders tolerate."""

    DATA_TRUNCATED = auto()
    RIFF_SIZE_OVERSTATED = auto()
    MISSING_PAD_BYTE = auto()
    BYTE_RATE_MISMATCH = auto()
    PARTIAL_FRAME = auto()


@dataclass(frozen=True, slots=True)
class AudioError:
    """A reason code and a message saying what is wrong, in terms a client can act on."""

    code: ErrorCode
    message: str


@dataclass(frozen=True, slots=True)
class AudioWarning:
    """A tolerated oddity: the audio is still usable."""

    code: WarningCode
    message: str


class AudioFormatError(ValueError):
    """Raised by the parsers; the only exception they let escape."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.error = AudioError(code, message)

    @property
    def code(self) -> ErrorCode:
        return self.error.code

    @property
    def message(self) -> str:
        return self.error.message
