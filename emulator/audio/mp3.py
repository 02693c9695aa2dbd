"""MPEG audio (MP3) recognition: the ID3v2 tag, frame headers and a frame walk.

Asleep accepts mp3 uploads ("mp3 or wav", docs.asleep.ai v1.0 error table), so
the emulator needs an MP3's sample rate and length without decoding it. A frame
header is four bytes and gives version, layer, bitrate and sample rate; the
frame length follows from those, so walking the headers counts frames cheaply
(no audio is decoded). Reference: ISO/IEC 11172-3 and 13818-3 header layout, as
summarised at http://www.mp3-tech.org/programmer/frame_header.html.
"""

from __future__ import annotations

from dataclasses import dataclass

from emulator.audio.errors import AudioFormatError, ErrorCode

_ID3_HEADER = 10
# How far past the ID3 tag we look for the first frame sync; encoders sometimes
# leave a little padding, but a real stream starts well within this.
_SYNC_SEARCH_BYTES = 4096
# Frames walked one by one (about 8 minutes at 44.1 kHz, a few tens of ms of
# work); past that the remaining length is extrapolated from the frames seen.
MAX_WALK_FRAMES = 20_000

# Bitrates in kbit/s indexed by [mpeg1?][layer][index]; index 0 is "free format".
_BITRATES: dict[tuple[bool, int], tuple[int, ...]] = {
    (True, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 3): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
# Version bits: 0 = MPEG 2.5, 2 = MPEG 2, 3 = MPEG 1 (1 is reserved).
_VERSIONS = {0: "2.5", 2: "2", 3: "1"}
_RATES = {"1": (44100, 48000, 32000), "2": (22050, 24000, 16000), "2.5": (11025, 12000, 8000)}


@dataclass(frozen=True, slots=True)
class FrameHeader:
    """One decoded MPEG audio frame header."""

    version: str
    layer: int
    bitrate_kbps: int
    sample_rate: int
    channels: int
    length: int
    samples: int


@dataclass(frozen=True, slots=True)
class Mp3Info:
    """What the frame walk learned about an MPEG audio stream."""

    version: str
    layer: int
    sample_rate: int
    channels: int
    bitrate_kbps: int
    first_frame_offset: int
    frames: int
    samples: int
    estimated: bool = False

    @property
    def duration_seconds(self) -> float:
        return self.samples / self.sample_rate


def parse_frame_header(data: memoryview, offset: int) -> FrameHeader | None:
    """Decode the header at ``offset``; None if it is not a valid, sized frame header."""
    if offset < 0 or offset + 4 > len(data):
        return None
    b0, b1, b2, b3 = data[offset], data[offset + 1], data[offset + 2], data[offset + 3]
    if b0 != 0xFF or (b1 & 0xE0) != 0xE0:
        return None
    version = _VERSIONS.get((b1 >> 3) & 0x3)
    layer = 4 - ((b1 >> 1) & 0x3)  # bits 01 = III, 10 = II, 11 = I; 00 reserved
    bitrate_index, rate_index = b2 >> 4, (b2 >> 2) & 0x3
    if version is None or layer == 4 or bitrate_index == 0xF or rate_index == 3:
        return None
    mpeg1 = version == "1"
    bitrate = _BITRATES[(mpeg1, layer)][bitrate_index]
    rate = _RATES[version][rate_index]
    channels = 1 if (b3 >> 6) == 3 else 2
    padding = (b2 >> 1) & 0x1
    if layer == 1:
        length, samples = (12_000 * bitrate // rate + padding) * 4, 384
    elif layer == 3 and not mpeg1:
        length, samples = 72_000 * bitrate // rate + padding, 576
    else:
        length, samples = 144_000 * bitrate // rate + padding, 1152
    return FrameHeader(version, layer, bitrate, rate, channels, length, samples)


def id3v2_length(data: memoryview) -> int:
    """Bytes taken by a leading ID3v2 tag (0 if none); the size is 'syncsafe' (7 bits a byte)."""
    if len(data) < _ID3_HEADER or bytes(data[:3]) != b"ID3":
        return 0
    size_bytes = data[6:10]
    if any(b & 0x80 for b in size_bytes):
        return 0
    size = 0
    for b in size_bytes:
        size = (size << 7) | b
    footer = _ID3_HEADER if data[5] & 0x10 else 0
    return _ID3_HEADER + size + footer


def find_first_frame(data: memoryview) -> int | None:
    """Offset of the first frame whose successor (if any bytes follow) is also a frame."""
    start = id3v2_length(data)
    stop = min(len(data) - 3, start + _SYNC_SEARCH_BYTES)
    for offset in range(start, max(start, stop)):
        header = parse_frame_header(data, offset)
        if header is None or header.bitrate_kbps == 0:
            continue
        following = offset + header.length
        # A random 0xFFEx pair is common in binary data; requiring the next
        # header too (unless the stream ends there) makes false positives rare.
        if following >= len(data) or parse_frame_header(data, following) is not None:
            return offset
    return None


def parse_mp3(data: memoryview) -> Mp3Info:
    """Walk the frames of an MPEG audio stream; raise `AudioFormatError` if there are none."""
    first = find_first_frame(data)
    if first is None:
        if (header := parse_frame_header(data, id3v2_length(data))) and not header.bitrate_kbps:
            raise AudioFormatError(
                ErrorCode.MP3_FREE_FORMAT, "free-format MP3 (no bitrate in header) is not supported"
            )
        raise AudioFormatError(ErrorCode.MP3_NO_FRAME, "no MPEG audio frame found")
    head = parse_frame_header(data, first)
    assert head is not None  # find_first_frame just parsed it
    frames, samples, offset = 0, 0, first
    # Stop at the first non-frame: a trailing ID3v1 "TAG" or APE tag, or damage.
    # Each step advances one frame (24 bytes at the least) and stops at MAX_WALK_FRAMES.
    while (frame := parse_frame_header(data, offset)) is not None and frame.bitrate_kbps:
        if frame.sample_rate != head.sample_rate or offset + frame.length > len(data):
            break
        frames, samples, offset = frames + 1, samples + frame.samples, offset + frame.length
        if frames == MAX_WALK_FRAMES:
            break
    estimated = frames == MAX_WALK_FRAMES and offset < len(data)
    if estimated:
        # Average bytes per sample so far, applied to the rest of the file.
        samples += int((len(data) - offset) * samples / (offset - first))
    return Mp3Info(
        version=head.version,
        layer=head.layer,
        sample_rate=head.sample_rate,
        channels=head.channels,
        bitrate_kbps=head.bitrate_kbps,
        first_frame_offset=first,
        frames=frames,
        samples=samples,
        estimated=estimated,
    )
