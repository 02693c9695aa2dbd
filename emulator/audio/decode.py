"""Sample decoding: WAV data bytes to float32, block by block, and a content fingerprint.

Reading goes through ``np.frombuffer`` views of the caller's bytes; the only
copies are one small float32 block at a time (24-bit needs a 4-byte widening
first), so decoding a long file never holds more than one block plus the output.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from emulator.audio import deferred
from emulator.audio.errors import AudioFormatError, ErrorCode
from emulator.audio.sniff import Container, sniff_container
from emulator.audio.wav import Encoding, WavInfo, parse_wav

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray
else:
    np = deferred.module("numpy")

Floats: TypeAlias = "NDArray[np.float32]"
BLOCK_FRAMES = 1 << 16
# Upper bound of one float32 block, whatever the channel count a header claims.
BLOCK_BYTES = 4 << 20
_FINGERPRINT_VERSION = b"emulator.audio.fingerprint/1"

# numpy dtype (as its string code) of one stored sample.
_DTYPES: dict[Encoding, str] = {
    Encoding.PCM_U8: "u1",
    Encoding.PCM_S16: "<i2",
    Encoding.PCM_S24: "u1",  # widened to int32 by _read_s24
    Encoding.PCM_S32: "<i4",
    Encoding.FLOAT32: "<f4",
    Encoding.FLOAT64: "<f8",
}
# The factor that maps a raw sample (as `read_raw` returns it) onto [-1, 1].
SCALES = {
    Encoding.PCM_U8: 1.0 / 128,
    Encoding.PCM_S16: 1.0 / 32768,
    Encoding.PCM_S24: 1.0 / 2**31,  # the 24-bit value sits in the top 3 bytes of an int32
    Encoding.PCM_S32: 1.0 / 2**31,
    Encoding.FLOAT32: 1.0,
    Encoding.FLOAT64: 1.0,
}


@dataclass(frozen=True, slots=True)
class Source:
    """A parsed WAV plus the bytes it describes: what every decoder needs."""

    data: memoryview
    info: WavInfo

    @classmethod
    def open(cls, data: bytes | bytearray | memoryview, info: WavInfo | None = None) -> Source:
        """Wrap ``data``; parse it first unless ``info`` is given. Raises `AudioFormatError`."""
        view = as_bytes_view(data)
        if info is None:
            container = sniff_container(view)
            if container is not Container.WAV:
                code = ErrorCode.EMPTY if container is Container.EMPTY else ErrorCode.UNRECOGNISED
                raise AudioFormatError(code, f"not a WAV file (it looks like {container})")
            info = parse_wav(view)
        return cls(view, info)


def as_bytes_view(data: bytes | bytearray | memoryview) -> memoryview:
    """A flat, byte-addressed view of ``data`` (copied only if it is not contiguous)."""
    view = memoryview(data)
    if not view.c_contiguous:
        view = memoryview(view.tobytes())
    return view.cast("B") if view.format != "B" or view.ndim != 1 else view


def read_raw(source: Source, start: int, frames: int, out: Floats) -> Floats:
    """Frames ``start..start+frames`` as unscaled float32, interleaved, written into ``out``.

    Scale by `SCALES` to get [-1, 1]. Unsigned 8-bit is re-centred on zero, and
    float samples are made finite (NaN -> 0) and clipped to [-1, 1] here, so every
    caller sees plain, bounded numbers and no arithmetic downstream can overflow.
    """
    info = source.info
    count = frames * info.channels
    offset = info.data_offset + start * info.block_align
    result = out[:count]
    if info.encoding is Encoding.PCM_S24:
        result[:] = _read_s24(source.data, offset, count)
    else:
        raw = np.frombuffer(source.data, _DTYPES[info.encoding], count, offset)
        with np.errstate(over="ignore", invalid="ignore"):  # float64 beyond float32 -> inf
            np.copyto(result, raw, casting="unsafe")
    if info.encoding is Encoding.PCM_U8:
        result -= 128.0
    elif info.encoding in (Encoding.FLOAT32, Encoding.FLOAT64):
        np.nan_to_num(result, copy=False, nan=0.0, posinf=1.0, neginf=-1.0)
        np.clip(result, -1.0, 1.0, out=result)
    return result


def _read_s24(data: memoryview, offset: int, count: int) -> NDArray[np.int32]:
    packed = np.frombuffer(data, np.uint8, count * 3, offset).reshape(count, 3)
    wide = np.zeros((count, 4), np.uint8)
    wide[:, 1:] = packed  # little-endian: the sample lands in the top 24 bits, sign intact
    return wide.view("<i4").reshape(count)


def block_frames(info: WavInfo, wanted: int = BLOCK_FRAMES) -> int:
    """Frames per block: ``wanted``, but never past the file or `BLOCK_BYTES` of float32."""
    return max(1, min(wanted, info.frames, BLOCK_BYTES // (4 * info.channels)))


def iter_raw(source: Source) -> Iterator[Floats]:
    """Unscaled interleaved float32 samples, one block at a time (the buffer is reused)."""
    info = source.info
    step = block_frames(info)
    buf = np.empty(step * info.channels, np.float32)
    for start in range(0, info.frames, step):
        yield read_raw(source, start, min(step, info.frames - start), buf)


def average_channels(raw: Floats, channels: int, out: Floats) -> Floats:
    """Mean of interleaved channels, into ``out`` (no BLAS: it threads badly on tiny products)."""
    frames = raw.reshape(-1, channels)
    if channels > 16:
        np.add.reduce(frames, axis=1, out=out)
    else:  # strided adds beat a reduction over a short inner axis
        np.copyto(out, frames[:, 0])
        for channel in range(1, channels):
            out += frames[:, channel]
    out *= np.float32(1 / channels)
    return out


def iter_mono(source: Source) -> Iterator[Floats]:
    """Channel-averaged float32 samples in [-1, 1], one block at a time (blocks are reused)."""
    channels = source.info.channels
    scale = np.float32(SCALES[source.info.encoding])
    mono = np.empty(block_frames(source.info), np.float32)
    for raw in iter_raw(source):
        block = mono[: len(raw) // channels]
        if channels == 1:
            np.multiply(raw, scale, out=block)
        else:
            average_channels(raw, channels, block)
            block *= scale
        yield block


def read_mono(source: Source, start: int, frames: int) -> Floats:
    """Frames ``start..start+frames`` as channel-averaged float32 in [-1, 1] (a new array)."""
    channels = source.info.channels
    raw = read_raw(source, start, frames, np.empty(frames * channels, np.float32))
    out = np.empty(frames, np.float32)
    if channels == 1:
        np.copyto(out, raw)
    else:
        average_channels(raw, channels, out)
    out *= np.float32(SCALES[source.info.encoding])
    return out


def skip(source: Source, frames: int) -> Source:
    """The same recording without its first ``frames`` frames (no bytes copied)."""
    info = source.info
    frames = min(max(0, frames), info.frames)
    rest = info.frames - frames
    shorter = dataclasses.replace(
        info,
        data_offset=info.data_offset + frames * info.block_align,
        data_length=rest * info.block_align,
        frames=rest,
    )
    return Source(source.data, shorter)


def decode_mono(data: bytes | bytearray | memoryview, info: WavInfo | None = None) -> Floats:
    """The whole file as channel-averaged float32 in [-1, 1]. Raises `AudioFormatError`."""
    source = Source.open(data, info)
    out = np.empty(source.info.frames, np.float32)
    pos = 0
    for block in iter_mono(source):
        out[pos : pos + len(block)] = block
        pos += len(block)
    return out


def audio_fingerprint(data: bytes | bytearray | memoryview) -> str:
    """SHA-256 hex digest of the decoded audio, not of the file bytes.

    Each channel is quantised to 16-bit integers, the channels are averaged in
    integer arithmetic (halves round up), and the result is hashed with the
    sample rate. So re-encoding 16-bit PCM as 24/32-bit PCM or float, or changing
    the chunk layout (extra chunks, WAVE_FORMAT_EXTENSIBLE), keeps the digest
    exactly; resampling changes it, since the rate and the samples change.
    Detail finer than 16 bits (a genuine 24-bit recording) is rounded away.
    Raises `AudioFormatError` if ``data`` is not a decodable WAV.
    """
    source = Source.open(data)
    channels = source.info.channels
    # A power of two, so scaling 16-bit-representable values is exact in float32.
    to_int16 = np.float32(SCALES[source.info.encoding] * 32768)
    digest = hashlib.sha256(_FINGERPRINT_VERSION)
    digest.update(source.info.sample_rate.to_bytes(4, "little"))
    for raw in iter_raw(source):
        quantised = np.clip(np.rint(raw * to_int16), -32768, 32767).astype(np.int32)
        if channels > 1:
            total = quantised.reshape(-1, channels).sum(axis=1)
            quantised = (2 * total + channels) // (2 * channels)
        digest.update(quantised.astype("<i2").tobytes())
    return digest.hexdigest()
