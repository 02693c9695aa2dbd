"""Container recognition from leading magic bytes: what kind of file is this?

Only the first few bytes are looked at (plus one MPEG frame header), so this is
cheap on any input. Whether the file is *valid* is for the format parsers.
"""

from __future__ import annotations

from enum import StrEnum

from emulator.audio.mp3 import parse_frame_header

NPY_MAGIC = b"\x93NUMPY"
_RIFF_IDS = (b"RIFF", b"RIFX", b"RF64")


class Container(StrEnum):
    """What the bytes look like."""

    WAV = "wav"
    MP3 = "mp3"
    FLAC = "flac"
    OGG = "ogg"
    M4A = "m4a"
    NPY = "npy"
    EMPTY = "empty"
    GARBAGE = "garbage"


def sniff_container(data: memoryview) -> Container:
    """Classify by magic bytes. RIFX and RF64 count as WAV: they are WAVE variants."""
    head = bytes(data[:12])
    if not head:
        return Container.EMPTY
    if head[:4] in _RIFF_IDS:
        # A file cut inside the RIFF header is still recognisably meant as a WAV.
        return Container.WAV if len(head) < 12 or head[8:12] == b"WAVE" else Container.GARBAGE
    if head.startswith(NPY_MAGIC):
        return Container.NPY
    if head.startswith(b"fLaC"):
        return Container.FLAC
    if head.startswith(b"OggS"):
        return Container.OGG
    if head[4:8] == b"ftyp":  # ISO base media (MP4/M4A/3GP): size, then 'ftyp' box
        return Container.M4A
    if head.startswith(b"ID3") or _starts_with_mpeg_frames(data):
        return Container.MP3
    return Container.GARBAGE


def _starts_with_mpeg_frames(data: memoryview) -> bool:
    first = parse_frame_header(data, 0)
    if first is None or first.bitrate_kbps == 0:
        return False
    # Two consecutive headers (or one that ends the file) rule out a chance 0xFFEx.
    return first.length >= len(data) or parse_frame_header(data, first.length) is not None
