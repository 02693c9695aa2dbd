"""RIFF/WAVE parsing: round trips through the writer, and each rule of the chunk walker."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.audio import AudioFormatError, Encoding, ErrorCode, WarningCode, parse_wav
from emulator.audio.writer import chunk, encode_wav, fmt_body

ENCODINGS = list(Encoding)
BYTES = {
    Encoding.PCM_U8: 1,
    Encoding.PCM_S16: 2,
    Encoding.PCM_S24: 3,
    Encoding.PCM_S32: 4,
    Encoding.FLOAT32: 4,
    Encoding.FLOAT64: 8,
}
chunk_ids = st.sampled_from([b"LIST", b"JUNK", b"fact", b"bext", b"cue ", b"id3 "])
extra_chunks = st.lists(st.tuples(chunk_ids, st.binary(max_size=33)), max_size=3)


def error_code(data: bytes) -> ErrorCode:
    with pytest.raises(AudioFormatError) as caught:
        parse_wav(memoryview(data))
    return caught.value.code


@settings(max_examples=60, deadline=None)
@given(
    encoding=st.sampled_from(ENCODINGS),
    rate=st.sampled_from([8000, 11025, 16000, 22050, 44100, 48000, 96000, 768000]),
    channels=st.integers(1, 6),
    frames=st.integers(0, 300),
    extensible=st.booleans(),
    before=extra_chunks,
    after=extra_chunks,
)
def test_parse_reads_back_what_the_writer_wrote(
    encoding: Encoding,
    rate: int,
    channels: int,
    frames: int,
    extensible: bool,
    before: list[tuple[bytes, bytes]],
    after: list[tuple[bytes, bytes]],
) -> None:
    samples = np.zeros((frames, channels))
    data = encode_wav(
        samples, rate, encoding, extensible=extensible, before_data=before, after_data=after
    )
    info = parse_wav(memoryview(data))
    assert (info.encoding, info.sample_rate, info.channels) == (encoding, rate, channels)
    assert info.frames == frames
    assert info.block_align == channels * BYTES[encoding]
    assert info.duration_seconds == frames / rate
    assert info.format.extensible is extensible
    assert info.warnings == ()
    start = info.data_offset
    assert data[start - 8 : start - 4] == b"data"


def test_data_past_the_end_is_clamped_to_whole_frames() -> None:
    body = bytes(4 * 100 + 3)  # stereo 16-bit: 100 frames and 3 stray bytes
    head = chunk(b"fmt ", fmt_body(Encoding.PCM_S16, 8000, 2))
    data = b"RIFF" + struct.pack("<I", 0xFFFFFFFF) + b"WAVE" + head
    data += b"data" + struct.pack("<I", 0x7FFFF000) + body  # espeak-ng --stdout style
    info = parse_wav(memoryview(data))
    assert info.frames == 100
    assert info.data_length == 400
    codes = [w.code for w in info.warnings]
    assert codes == [
        WarningCode.DATA_TRUNCATED,
        WarningCode.RIFF_SIZE_OVERSTATED,
        WarningCode.PARTIAL_FRAME,
    ]
    assert info.truncated


def test_byte_rate_disagreement_is_only_a_warning() -> None:
    body = bytearray(fmt_body(Encoding.PCM_S16, 16000, 1))
    struct.pack_into("<I", body, 8, 12345)
    data = encode_wav(np.zeros(10), 16000).replace(
        fmt_body(Encoding.PCM_S16, 16000, 1), bytes(body)
    )
    info = parse_wav(memoryview(data))
    assert [w.code for w in info.warnings] == [WarningCode.BYTE_RATE_MISMATCH]
    assert info.frames == 10


def _with_fmt(body: bytes) -> bytes:
    content = b"WAVE" + chunk(b"fmt ", body) + chunk(b"data", bytes(8))
    return b"RIFF" + struct.pack("<I", len(content)) + content


def test_extensible_with_unknown_subformat_is_unsupported() -> None:
    body = bytearray(fmt_body(Encoding.PCM_S16, 16000, 1, extensible=True))
    body[26:40] = bytes(14)  # not the KSDATAFORMAT GUID tail
    assert error_code(_with_fmt(bytes(body))) is ErrorCode.UNSUPPORTED_ENCODING


def test_extensible_valid_bits_cannot_exceed_the_container() -> None:
    body = bytearray(fmt_body(Encoding.PCM_S16, 16000, 1, extensible=True))
    struct.pack_into("<H", body, 18, 20)
    assert error_code(_with_fmt(bytes(body))) is ErrorCode.MALFORMED_FMT


def test_extensible_needs_its_extension() -> None:
    body = fmt_body(Encoding.PCM_S16, 16000, 1, extensible=True)[:24]
    assert error_code(_with_fmt(body)) is ErrorCode.MALFORMED_FMT


def test_extensible_valid_bits_narrower_than_the_container_parse() -> None:
    body = bytearray(fmt_body(Encoding.PCM_S24, 48000, 2, extensible=True))
    struct.pack_into("<H", body, 18, 20)  # 20 valid bits in 24-bit containers
    info = parse_wav(memoryview(_with_fmt(bytes(body))))
    assert (info.encoding, info.format.valid_bits) == (Encoding.PCM_S24, 20)


@pytest.mark.parametrize(
    ("tag", "bits"), [(0x0001, 12), (0x0001, 64), (0x0003, 16), (0x0002, 4), (0x0055, 0)]
)
def test_unsupported_tag_and_depth_combinations(tag: int, bits: int) -> None:
    body = struct.pack("<HHIIHH", tag, 1, 8000, 8000, max(1, bits // 8), bits)
    assert error_code(_with_fmt(body)) is ErrorCode.UNSUPPORTED_ENCODING


def test_walk_stops_after_too_many_chunks() -> None:
    junk = chunk(b"JUNK", b"") * 2000
    content = b"WAVE" + chunk(b"fmt ", fmt_body(Encoding.PCM_S16, 8000, 1)) + junk
    data = b"RIFF" + struct.pack("<I", len(content)) + content + chunk(b"data", bytes(4))
    assert error_code(data) is ErrorCode.TOO_MANY_CHUNKS


def test_truncated_data_before_a_missing_fmt_reports_the_missing_fmt() -> None:
    data = b"RIFF" + struct.pack("<I", 100) + b"WAVE" + b"data" + struct.pack("<I", 1000) + bytes(8)
    assert error_code(data) is ErrorCode.MISSING_FMT


def test_second_data_chunk_is_ignored() -> None:
    data = encode_wav(np.zeros(5), 8000, after_data=[(b"data", bytes(100))])
    assert parse_wav(memoryview(data)).frames == 5


def test_pad_byte_that_is_printable_is_still_a_pad_byte() -> None:
    content = b"WAVE" + chunk(b"fmt ", fmt_body(Encoding.PCM_S16, 8000, 1))
    content += b"LIST" + struct.pack("<I", 3) + b"abc" + b" " + chunk(b"data", bytes(6))
    data = b"RIFF" + struct.pack("<I", len(content)) + content
    info = parse_wav(memoryview(data))
    assert (info.frames, info.warnings) == (3, ())


@pytest.mark.parametrize("cut", range(44))
def test_every_cut_inside_the_header_is_a_typed_error(cut: int) -> None:
    data = encode_wav(np.zeros(100), 8000)[:cut]
    assert error_code(data) in {
        ErrorCode.TRUNCATED_HEADER,
        ErrorCode.MISSING_FMT,
        ErrorCode.MISSING_DATA,
    }
