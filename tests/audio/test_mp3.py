"""MPEG audio: frame header decoding, the frame walk, and sniffing."""

from __future__ import annotations

import pytest

from emulator.audio import AudioFormatError, Container, ErrorCode, inspect_audio, mp3
from emulator.audio.mp3 import id3v2_length, parse_frame_header, parse_mp3
from emulator.audio.sniff import sniff_container


def frames(header: bytes, count: int) -> bytes:
    head = parse_frame_header(memoryview(header), 0)
    assert head is not None
    return (header + bytes(head.length - 4)) * count


@pytest.mark.parametrize(
    ("header", "version", "layer", "kbps", "rate", "channels", "length", "samples"),
    [
        ("fffb9064", "1", 3, 128, 44100, 2, 417, 1152),  # the classic 128k stereo frame
        ("fffb9264", "1", 3, 128, 44100, 2, 418, 1152),  # same, padded
        ("fffb94c4", "1", 3, 128, 48000, 1, 384, 1152),
        ("fff318c0", "2", 3, 8, 16000, 1, 36, 576),
        ("ffe318c0", "2.5", 3, 8, 8000, 1, 72, 576),
        ("fffd9000", "1", 2, 160, 44100, 2, 522, 1152),
        ("ffff9000", "1", 1, 288, 44100, 2, 312, 384),
    ],
)
def test_frame_header_fields(
    header: str,
    version: str,
    layer: int,
    kbps: int,
    rate: int,
    channels: int,
    length: int,
    samples: int,
) -> None:
    frame = parse_frame_header(memoryview(bytes.fromhex(header)), 0)
    assert frame is not None
    assert (frame.version, frame.layer, frame.bitrate_kbps) == (version, layer, kbps)
    assert (frame.sample_rate, frame.channels) == (rate, channels)
    assert (frame.length, frame.samples) == (length, samples)


@pytest.mark.parametrize(
    "header",
    ["ffeb9064", "fff99064", "fffbf064", "fffb9c64", "7ffb9064", "ff"],
    ids=["reserved version", "reserved layer", "bad bitrate", "reserved rate", "no sync", "short"],
)
def test_invalid_headers(header: str) -> None:
    assert parse_frame_header(memoryview(bytes.fromhex(header)), 0) is None


def test_frame_walk_gives_duration() -> None:
    data = frames(bytes.fromhex("fffb9064"), 100) + b"TAG" + bytes(125)  # + an ID3v1 tag
    info = parse_mp3(memoryview(data))
    assert info.frames == 100
    assert info.duration_seconds == pytest.approx(100 * 1152 / 44100)


def test_id3v2_tag_is_skipped() -> None:
    tag = b"ID3\x04\x00\x00\x00\x00\x02\x01" + bytes(257)  # syncsafe size 0x101 = 257
    assert id3v2_length(memoryview(tag)) == 267
    info = parse_mp3(memoryview(tag + frames(bytes.fromhex("fff318c0"), 10)))
    assert (info.first_frame_offset, info.frames, info.sample_rate) == (267, 10, 16000)


def test_truncated_last_frame_is_not_counted() -> None:
    data = frames(bytes.fromhex("fffb9064"), 3)[:-10]
    assert parse_mp3(memoryview(data)).frames == 2


def test_free_format_is_reported() -> None:
    with pytest.raises(AudioFormatError) as caught:
        parse_mp3(memoryview(bytes.fromhex("fffb0064") + bytes(400)))
    assert caught.value.code is ErrorCode.MP3_FREE_FORMAT


def test_id3_without_frames_is_a_typed_error() -> None:
    info = inspect_audio(b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"no audio here")
    assert info.container is Container.MP3
    assert info.error is not None
    assert info.error.code is ErrorCode.MP3_NO_FRAME


def test_sniffing_needs_a_second_header() -> None:
    one = bytes.fromhex("fffb9064")
    assert sniff_container(memoryview(frames(one, 2))) is Container.MP3
    assert sniff_container(memoryview(one + bytes(413))) is Container.MP3  # ends with the frame
    assert sniff_container(memoryview(one + bytes(500))) is Container.GARBAGE


def test_inspect_reports_mp3_fields() -> None:
    info = inspect_audio(frames(bytes.fromhex("fffb94c4"), 1250))
    assert (info.container, info.sample_rate, info.channels) == (Container.MP3, 48000, 1)
    assert info.duration_seconds == pytest.approx(30.0)
    assert info.encoding is None


def test_long_streams_are_extrapolated_past_the_walk_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mp3, "MAX_WALK_FRAMES", 10)
    info = parse_mp3(memoryview(frames(bytes.fromhex("fff318c0"), 100)))
    assert info.estimated
    assert info.frames == 10
    assert info.duration_seconds == pytest.approx(100 * 576 / 16000)
    exact = parse_mp3(memoryview(frames(bytes.fromhex("fff318c0"), 10)))
    assert not exact.estimated
