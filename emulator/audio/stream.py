"""A WAV as a stream of 32 ms windows of 16 kHz mono audio, decoded block by block.

The trained detector (Silero VAD) takes 512-sample windows at 16 kHz. Blocks of
samples come from `emulator.audio.decode` (``np.frombuffer`` views of the upload, one
float32 block at a time), are resampled with libsoxr (``soxr.ResampleStream``, high
quality, no threads) and cut into windows; a partial window waits for the next block.
Memory stays at about one block whatever the file length, and a caller that stops
early (enough voice found) never decodes the rest.

Same bytes, same windows: block boundaries depend only on the file, and the
resampler is deterministic for a given sequence of blocks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from emulator.audio import deferred
from emulator.audio.decode import Floats, Source, block_frames, iter_mono, read_mono

if TYPE_CHECKING:
    import numpy as np
else:
    np = deferred.module("numpy")

RATE = 16_000
WINDOW = 512  # 32 ms at 16 kHz: Silero's window
WINDOW_SECONDS = WINDOW / RATE
ONSET_BELOW_PEAK = 10 ** (-40 / 20)  # the recording starts where it first gets this loud
ONSET_FLOOR = 10 ** (-80 / 20)  # ... and never below this (dither, digital silence)


@dataclass(frozen=True, slots=True)
class Levels:
    """The largest absolute sample of the mono mix, and the first frame that comes within
    40 dB of it (``frames`` if none does)."""

    peak: float
    onset: int


def levels(source: Source) -> Levels:
    """One pass over the (possibly capped) source.

    The onset anchors the analysis grid to the sound itself: leading silence, however
    long, is skipped, so 20 ms of silence added in front of a recording leaves every
    later window, and so every decision and measure, exactly as it was. The threshold
    is relative to the peak, so a gain change does not move the onset either.
    """
    maxima = [
        max(float(block.max()), -float(block.min())) if len(block) else 0.0
        for block in iter_mono(source)
    ]
    peak = max(maxima, default=0.0)
    threshold = max(peak * ONSET_BELOW_PEAK, ONSET_FLOOR)
    step = block_frames(source.info)
    for index, top in enumerate(maxima):
        if top >= threshold:
            start = index * step
            block = read_mono(source, start, min(step, source.info.frames - start))
            return Levels(peak, start + int(np.argmax(np.abs(block) >= threshold)))
    return Levels(peak, source.info.frames)


def iter_windows(source: Source, *, max_seconds: float | None = None) -> Iterator[Floats]:
    """Yield (n, 512) float32 arrays of consecutive 16 kHz windows, in file order.

    Stops after ``max_seconds`` of input audio (whole blocks are read, so slightly more
    may come out, never less). A trailing partial window is dropped.
    """
    rate = source.info.sample_rate
    budget = None if max_seconds is None else round(max_seconds * rate)
    carry = np.zeros(0, np.float32)
    for block in _iter_resampled(source, budget):
        joined = np.concatenate((carry, block)) if len(carry) else block
        whole = len(joined) // WINDOW * WINDOW
        carry = joined[whole:].copy()
        if whole:
            yield np.ascontiguousarray(joined[:whole].reshape(-1, WINDOW))


def _iter_resampled(source: Source, budget: int | None) -> Iterator[Floats]:
    rate = source.info.sample_rate
    resampler = None if rate == RATE else _resampler(rate)
    consumed = 0
    for block in iter_mono(source):
        if budget is not None and consumed >= budget:
            break
        consumed += len(block)
        if resampler is None:
            yield block.copy()  # iter_mono reuses its buffer
        else:
            out: Floats = resampler.resample_chunk(block)
            if len(out):
                yield out
    else:
        if resampler is not None:
            tail: Floats = resampler.resample_chunk(np.zeros(0, np.float32), last=True)
            if len(tail):
                yield tail


class _Stream(Protocol):
    """The part of ``soxr.ResampleStream`` used here."""

    def resample_chunk(self, x: Floats, last: bool = False) -> Floats: ...


def _resampler(rate: int) -> _Stream:
    import soxr  # imported on first use: it pulls numpy in

    stream: _Stream = soxr.ResampleStream(rate, RATE, 1, dtype="float32", quality="HQ")
    return stream
