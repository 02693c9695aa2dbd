"""RIFF/WAVE parsing: a small chunk walker over a memoryview, and the fmt chunk.

`parse_wav` returns a `WavInfo` (encoding, rate, channels, frame count and where
the sample bytes are) or raises `AudioFormatError` with a precise reason. It sets
no vendor policy and copies no sample data.

Decisions where real files disagree with the letter of the RIFF spec:

* A ``data`` chunk whose size runs past the end of the file is *clamped* to the
  bytes present (warning ``data_truncated``), as libsndfile, sox and ffmpeg do.
  Streaming writers cannot seek back to patch sizes: ``espeak-ng --stdout``, for
  one, writes 0x7FFFF000 there. A RIFF size larger than the file is tolerated for
  the same reason (warning ``riff_size_overstated``).
* A RIFF size too *small* to contain the audio is an error: the header then
  disagrees with the data, and it is not a placeholder pattern.
* A missing pad byte after an odd-sized chunk is tolerated when the next chunk
  id only lines up without it (some writers forget the pad).
* ``fmt`` after ``data``, a second ``fmt``, and RF64/RIFX files are errors.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from emulator.audio.errors import AudioFormatError, AudioWarning, ErrorCode, WarningCode

MAX_SAMPLE_RATE = 768_000  # the highest rate any common converter produces
_MAX_CHUNKS = 1024  # real files carry a handful; this bounds work on crafted input
_TAG_PCM, _TAG_FLOAT, _TAG_EXTENSIBLE = 0x0001, 0x0003, 0xFFFE
# KSDATAFORMAT_SUBTYPE_* GUIDs share this tail; the first two bytes are the format tag.
_GUID_TAIL = bytes.fromhex("000000001000800000aa00389b71")
_TAG_NAMES = {
    0x0002: "Microsoft ADPCM",
    0x0006: "A-law",
    0x0007: "mu-law",
    0x0011: "IMA ADPCM",
    0x0031: "GSM 6.10",
    0x0050: "MPEG",
    0x0055: "MPEG Layer 3",
}


class Encoding(StrEnum):
    """How samples are stored in the data chunk."""

    PCM_U8 = "pcm_u8"
    PCM_S16 = "pcm_s16"
    PCM_S24 = "pcm_s24"
    PCM_S32 = "pcm_s32"
    FLOAT32 = "float32"
    FLOAT64 = "float64"


_ENCODINGS = {
    (_TAG_PCM, 8): Encoding.PCM_U8,
    (_TAG_PCM, 16): Encoding.PCM_S16,
    (_TAG_PCM, 24): Encoding.PCM_S24,
    (_TAG_PCM, 32): Encoding.PCM_S32,
    (_TAG_FLOAT, 32): Encoding.FLOAT32,
    (_TAG_FLOAT, 64): Encoding.FLOAT64,
}


@dataclass(frozen=True, slots=True)
class Format:
    """The decoded fmt chunk."""

    encoding: Encoding
    format_tag: int
    extensible: bool
    channels: int
    sample_rate: int
    bits_per_sample: int
    valid_bits: int
    block_align: int
    warnings: tuple[AudioWarning, ...] = ()


@dataclass(frozen=True, slots=True)
class WavInfo:
    """A parsed WAV: its format plus where the (possibly clamped) sample bytes are."""

    format: Format
    data_offset: int
    data_length: int
    frames: int
    warnings: tuple[AudioWarning, ...]

    @property
    def encoding(self) -> Encoding:
        return self.format.encoding

    @property
    def sample_rate(self) -> int:
        return self.format.sample_rate

    @property
    def channels(self) -> int:
        return self.format.channels

    @property
    def bits_per_sample(self) -> int:
        return self.format.bits_per_sample

    @property
    def block_align(self) -> int:
        return self.format.block_align

    @property
    def duration_seconds(self) -> float:
        return self.frames / self.format.sample_rate

    @property
    def truncated(self) -> bool:
        return any(w.code is WarningCode.DATA_TRUNCATED for w in self.warnings)


@dataclass(frozen=True, slots=True)
class _Chunk:
    ident: bytes
    body: int
    size: int


def parse_wav(data: memoryview) -> WavInfo:
    """Parse a little-endian RIFF/WAVE file held in ``data`` (no sample bytes copied)."""
    riff_end = _check_riff_header(data)
    warnings: list[AudioWarning] = []
    fmt_chunk, data_chunk = _find_chunks(data, warnings)
    fmt = parse_fmt(data[fmt_chunk.body : fmt_chunk.body + fmt_chunk.size])
    warnings.extend(fmt.warnings)
    present = min(data_chunk.size, len(data) - data_chunk.body)
    if present < data_chunk.size:
        warnings.append(
            AudioWarning(
                WarningCode.DATA_TRUNCATED,
                f"data chunk declares {data_chunk.size} bytes but only {present} are present;"
                " using what is present",
            )
        )
    _check_riff_size(riff_end, data_chunk.body + present, len(data), warnings)
    frames = present // fmt.block_align
    if frames * fmt.block_align != present:
        warnings.append(
            AudioWarning(
                WarningCode.PARTIAL_FRAME,
                f"{present - frames * fmt.block_align} trailing byte(s) do not make a whole frame",
            )
        )
    return WavInfo(fmt, data_chunk.body, frames * fmt.block_align, frames, tuple(warnings))


def _check_riff_header(data: memoryview) -> int:
    """Validate the 12-byte RIFF header; return where the RIFF size says the file ends."""
    if len(data) < 12:
        raise AudioFormatError(
            ErrorCode.TRUNCATED_HEADER, f"file is {len(data)} bytes; a RIFF header needs 12"
        )
    ident, form = bytes(data[:4]), bytes(data[8:12])
    if ident == b"RIFX":
        raise AudioFormatError(
            ErrorCode.BIG_ENDIAN_RIFX, "big-endian RIFX WAV files are not supported; use RIFF"
        )
    if ident == b"RF64":
        raise AudioFormatError(
            ErrorCode.RF64_UNSUPPORTED, "RF64 (64-bit) WAV files are not supported; use RIFF"
        )
    if ident != b"RIFF":
        raise AudioFormatError(ErrorCode.UNRECOGNISED, "file does not start with a RIFF header")
    if form != b"WAVE":
        raise AudioFormatError(ErrorCode.NOT_WAVE, f"RIFF form type is {form!r}, not b'WAVE'")
    return 8 + int.from_bytes(data[4:8], "little")


def _find_chunks(data: memoryview, warnings: list[AudioWarning]) -> tuple[_Chunk, _Chunk]:
    fmt: _Chunk | None = None
    found_data: _Chunk | None = None
    for count, chunk in enumerate(_walk(data, warnings)):
        if count >= _MAX_CHUNKS:
            raise AudioFormatError(
                ErrorCode.TOO_MANY_CHUNKS, f"more than {_MAX_CHUNKS} chunks before the audio"
            )
        if chunk.ident == b"fmt ":
            if found_data is not None:
                raise AudioFormatError(
                    ErrorCode.FMT_AFTER_DATA, "fmt chunk comes after the data chunk"
                )
            if fmt is not None:
                raise AudioFormatError(ErrorCode.DUPLICATE_FMT, "more than one fmt chunk")
            fmt = _require_inside(data, chunk)
        elif chunk.ident == b"data" and found_data is None:
            found_data = chunk
            if fmt is not None:
                return fmt, found_data
            if chunk.body + chunk.size > len(data):
                break  # the data runs to the end, so no fmt can follow it
        elif found_data is None:
            _require_inside(data, chunk)
    if fmt is None:
        raise AudioFormatError(ErrorCode.MISSING_FMT, "no fmt chunk before the audio data")
    raise AudioFormatError(ErrorCode.MISSING_DATA, "no data chunk")


def _walk(data: memoryview, warnings: list[AudioWarning]) -> Iterator[_Chunk]:
    """Yield chunk headers from offset 12 on, until fewer than 8 bytes remain."""
    pos = 12
    while pos + 8 <= len(data):
        ident = bytes(data[pos : pos + 4])
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        yield _Chunk(ident, pos + 8, size)
        pos += 8 + size
        if size % 2:
            # RIFF pads odd chunks to an even length. Some writers omit the pad
            # byte; only believe that when the unpadded position holds a chunk id
            # and the padded one does not.
            if _looks_like_id(data, pos) and not _looks_like_id(data, pos + 1):
                warnings.append(
                    AudioWarning(
                        WarningCode.MISSING_PAD_BYTE,
                        f"odd-sized {ident!r} chunk is not followed by a pad byte",
                    )
                )
            else:
                pos += 1


def _looks_like_id(data: memoryview, pos: int) -> bool:
    return pos + 8 <= len(data) and all(0x20 <= b < 0x7F for b in data[pos : pos + 4])


def _require_inside(data: memoryview, chunk: _Chunk) -> _Chunk:
    if chunk.body + chunk.size > len(data):
        code = ErrorCode.TRUNCATED_HEADER if chunk.ident == b"fmt " else ErrorCode.CHUNK_PAST_END
        raise AudioFormatError(
            code,
            f"{chunk.ident!r} chunk declares {chunk.size} bytes but the file ends"
            f" {len(data) - chunk.body} bytes into it",
        )
    return chunk


def _check_riff_size(riff_end: int, audio_end: int, length: int, out: list[AudioWarning]) -> None:
    if riff_end < audio_end:
        raise AudioFormatError(
            ErrorCode.RIFF_SIZE_MISMATCH,
            f"RIFF size says the file ends at byte {riff_end}, before the audio data ends"
            f" at byte {audio_end}",
        )
    if riff_end > length:
        out.append(
            AudioWarning(
                WarningCode.RIFF_SIZE_OVERSTATED,
                f"RIFF size says the file is {riff_end} bytes but it is {length}",
            )
        )


def parse_fmt(body: memoryview) -> Format:
    """Decode a fmt chunk body (PCM, IEEE float or WAVE_FORMAT_EXTENSIBLE)."""
    if len(body) < 16:
        raise AudioFormatError(
            ErrorCode.MALFORMED_FMT, f"fmt chunk is {len(body)} bytes; at least 16 are needed"
        )
    tag, channels, rate, byte_rate, block_align, bits = struct.unpack_from("<HHIIHH", body)
    if channels == 0:
        raise AudioFormatError(ErrorCode.INVALID_CHANNELS, "fmt chunk says 0 channels")
    if not 0 < rate <= MAX_SAMPLE_RATE:
        raise AudioFormatError(
            ErrorCode.INVALID_SAMPLE_RATE,
            f"sample rate {rate} Hz is outside 1..{MAX_SAMPLE_RATE} Hz",
        )
    extensible = tag == _TAG_EXTENSIBLE
    tag, valid_bits = _extensible_subformat(body, bits) if extensible else (tag, bits)
    encoding = _ENCODINGS.get((tag, bits))
    if encoding is None:
        raise AudioFormatError(ErrorCode.UNSUPPORTED_ENCODING, _describe_unsupported(tag, bits))
    if block_align != channels * bits // 8:
        raise AudioFormatError(
            ErrorCode.BLOCK_ALIGN_MISMATCH,
            f"block align is {block_align} but {channels} channel(s) of {bits}-bit samples"
            f" need {channels * bits // 8}",
        )
    warnings: tuple[AudioWarning, ...] = ()
    if byte_rate != rate * block_align:
        # Informational only: decoders derive timing from the rate and block align.
        warnings = (
            AudioWarning(
                WarningCode.BYTE_RATE_MISMATCH,
                f"byte rate {byte_rate} differs from rate x block align ({rate * block_align})",
            ),
        )
    return Format(
        encoding, tag, extensible, channels, rate, bits, valid_bits, block_align, warnings
    )


def _extensible_subformat(body: memoryview, bits: int) -> tuple[int, int]:
    """Return (format tag from the SubFormat GUID, valid bits) of WAVE_FORMAT_EXTENSIBLE."""
    if len(body) < 40 or int.from_bytes(body[16:18], "little") < 22:
        raise AudioFormatError(
            ErrorCode.MALFORMED_FMT,
            "WAVE_FORMAT_EXTENSIBLE needs a 40-byte fmt chunk with a 22-byte extension",
        )
    valid_bits = int.from_bytes(body[18:20], "little") or bits  # 0 means "all of them"
    guid = bytes(body[24:40])
    if guid[2:] != _GUID_TAIL:
        raise AudioFormatError(
            ErrorCode.UNSUPPORTED_ENCODING, f"unknown WAVE_FORMAT_EXTENSIBLE SubFormat {guid.hex()}"
        )
    if valid_bits > bits:
        raise AudioFormatError(
            ErrorCode.MALFORMED_FMT,
            f"valid bits per sample ({valid_bits}) exceed the container size ({bits})",
        )
    return int.from_bytes(guid[:2], "little"), valid_bits


def _describe_unsupported(tag: int, bits: int) -> str:
    if tag in (_TAG_PCM, _TAG_FLOAT):
        kind = "PCM" if tag == _TAG_PCM else "IEEE float"
        return f"{bits}-bit {kind} is not supported"
    name = _TAG_NAMES.get(tag, "unknown")
    return f"format tag 0x{tag:04x} ({name}) is not supported; only PCM and IEEE float are"
