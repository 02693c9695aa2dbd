"""WAV encoding: float samples to RIFF/WAVE bytes, for the benchmark, fixtures and tests.

The emulator never writes audio on the request path; this exists so synthetic
and test audio is produced by one well-formed writer whose layout options
(encoding, WAVE_FORMAT_EXTENSIBLE, extra chunks) match what `parse_wav` reads.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import TYPE_CHECKING

from emulator.audio import deferred
from emulator.audio.wav import Encoding

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray
else:
    np = deferred.module("numpy")

_FORMATS = {  # encoding -> (format tag, bits, numpy dtype of the stored sample)
    Encoding.PCM_U8: (0x0001, 8, "u1"),
    Encoding.PCM_S16: (0x0001, 16, "<i2"),
    Encoding.PCM_S24: (0x0001, 24, "<i4"),
    Encoding.PCM_S32: (0x0001, 32, "<i4"),
    Encoding.FLOAT32: (0x0003, 32, "<f4"),
    Encoding.FLOAT64: (0x0003, 64, "<f8"),
}
_GUID_TAIL = bytes.fromhex("000000001000800000aa00389b71")


def chunk(ident: bytes, body: bytes) -> bytes:
    """One RIFF chunk, with the pad byte an odd size needs."""
    return ident + struct.pack("<I", len(body)) + body + (b"\0" if len(body) % 2 else b"")


def fmt_body(encoding: Encoding, rate: int, channels: int, *, extensible: bool = False) -> bytes:
    """The fmt chunk body for ``encoding`` (16 bytes, or 40 for WAVE_FORMAT_EXTENSIBLE)."""
    tag, bits, _ = _FORMATS[encoding]
    align = channels * bits // 8
    # The byte rate is informational; saturate it so out-of-range test headers can be written.
    byte_rate = min(rate * align, 0xFFFFFFFF)
    head = struct.pack(
        "<HHIIHH", 0xFFFE if extensible else tag, channels, rate, byte_rate, align & 0xFFFF, bits
    )
    if not extensible:
        return head
    mask = (1 << channels) - 1 if channels <= 18 else 0
    return head + struct.pack("<HHI", 22, bits, mask) + struct.pack("<H", tag) + _GUID_TAIL


def encode_samples(samples: NDArray[np.floating], encoding: Encoding) -> bytes:
    """Interleaved sample bytes; ``samples`` is (frames,) or (frames, channels) in [-1, 1]."""
    _, bits, dtype = _FORMATS[encoding]
    flat = np.asarray(samples, np.float64).reshape(-1)
    if encoding in (Encoding.FLOAT32, Encoding.FLOAT64):
        return flat.astype(dtype).tobytes()
    full = 2.0 ** (bits - 1)
    ints = np.clip(np.rint(flat * full), -full, full - 1)
    if encoding is Encoding.PCM_U8:
        return (ints + 128).astype("u1").tobytes()
    if encoding is Encoding.PCM_S24:
        wide = ints.astype("<i4").view("u1").reshape(-1, 4)
        return wide[:, :3].tobytes()
    return ints.astype(dtype).tobytes()


def encode_wav(
    samples: NDArray[np.floating],
    rate: int,
    encoding: Encoding = Encoding.PCM_S16,
    *,
    extensible: bool = False,
    before_data: Sequence[tuple[bytes, bytes]] = (),
    after_data: Sequence[tuple[bytes, bytes]] = (),
) -> bytes:
    """A complete WAV file; extra ``(id, body)`` chunks can go before or after ``data``."""
    channels = 1 if np.ndim(samples) == 1 else int(np.shape(samples)[1])
    body = b"WAVE" + chunk(b"fmt ", fmt_body(encoding, rate, channels, extensible=extensible))
    body += b"".join(chunk(ident, content) for ident, content in before_data)
    body += chunk(b"data", encode_samples(samples, encoding))
    body += b"".join(chunk(ident, content) for ident, content in after_data)
    return b"RIFF" + struct.pack("<I", len(body)) + body
