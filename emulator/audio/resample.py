"""Decimation of WAV samples to the VAD's analysis rate (about 4 kHz), block by block.

Low-pass filtering, downsampling and scaling to [-1, 1] are one matrix product
per block (multi-channel blocks are averaged to mono first): the block is viewed
as rows of ``k`` frames
(``k`` the integer decimation factor), and a windowed-sinc filter of ``G * k``
taps is split into ``G`` columns, so ``rows @ taps`` gives ``G`` partial sums per
output sample that are then added with a shift. BLAS does the heavy part, and
memory stays at one block whatever the file length.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from emulator.audio import deferred
from emulator.audio.decode import SCALES, Floats, Source, average_channels, read_raw

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray
else:
    np = deferred.module("numpy")

_GROUPS = 6  # filter length in output samples; more = sharper but slower
_CUTOFF = 0.4  # -6 dB point as a fraction of the output rate (Nyquist is 0.5)
# OpenBLAS runs sgemm on several threads once m*n*k reaches 4 * 65536
# (GEMM_MULTITHREAD_THRESHOLD x SMP_THRESHOLD_MIN, interface/gemm.c). For our thin
# (rows, k) @ (k, 6) products that only adds overhead, and on a busy machine the
# spinning worker threads made a 10-minute check 8x slower. Slices below the
# threshold stay on the calling thread.
_SINGLE_THREAD_MACS = 4 * 65536 - 1


def factor_for(rate: int, target_rate: int) -> int:
    """Largest integer factor that keeps the output rate at or above ``target_rate``."""
    return max(1, rate // target_rate)


def lowpass_taps(factor: int) -> NDArray[np.float64]:
    """A Hamming-windowed sinc of ``_GROUPS * factor`` taps with unit DC gain."""
    length = _GROUPS * factor
    n = np.arange(length) - (length - 1) / 2
    cutoff = _CUTOFF / factor  # in cycles per input sample
    taps: NDArray[np.float64] = np.sinc(2 * cutoff * n) * np.hamming(length)
    taps /= taps.sum()
    return taps


def _weights(factor: int, scale: float) -> Floats:
    """(factor, groups) matrix: column ``g`` holds taps ``g * factor .. (g + 1) * factor``."""
    if factor == 1:
        return np.full((1, 1), scale, np.float32)
    taps = lowpass_taps(factor).reshape(_GROUPS, factor).T  # [j, g] = h[g * factor + j]
    return np.ascontiguousarray(taps * scale, dtype=np.float32)


def iter_decimated(source: Source, target_rate: int, block_out: int) -> Iterator[Floats]:
    """Yield the decimated mono signal in blocks of ``block_out`` samples (the last may be short).

    Output sample ``i`` is the filter applied to input rows ``i - G + 1 .. i``
    (a row is ``factor`` frames); rows before the start of the file are silence.
    Only rows that exist are read, so the buffers never exceed one block's share
    of the file, whatever the header claims.
    """
    info = source.info
    factor = factor_for(info.sample_rate, target_rate)
    weights = _weights(factor, SCALES[info.encoding])
    groups = weights.shape[1]
    total = info.frames // factor
    if total == 0:
        return
    max_rows = min(block_out + groups - 1, total)
    buf = np.empty(max_rows * factor * info.channels, np.float32)
    mono = np.empty(max_rows * factor, np.float32) if info.channels > 1 else buf
    partial = np.empty((min(block_out, total) + groups - 1, groups), np.float32)
    for first in range(0, total, block_out):
        count = min(block_out, total - first)
        start = max(0, first - groups + 1)  # first row to read
        rows = first + count - start
        raw = read_raw(source, start * factor, rows * factor, buf)
        if info.channels > 1:
            raw = average_channels(raw, info.channels, mono[: rows * factor])
        # Row p of `sums` is input row first - G + 1 + p; rows before the file are zero.
        sums = partial[: count + groups - 1]
        missing = len(sums) - rows
        sums[:missing] = 0.0
        _filter_rows(raw.reshape(rows, factor), weights, sums[missing:])
        out = sums[groups - 1 :, groups - 1].copy()
        for g in range(groups - 1):
            out += sums[g : g + count, g]
        yield out


def _filter_rows(rows: Floats, weights: Floats, out: Floats) -> Floats:
    step = max(1, _SINGLE_THREAD_MACS // weights.size)
    for first in range(0, len(rows), step):
        np.matmul(rows[first : first + step], weights, out=out[first : first + step])
    return out
