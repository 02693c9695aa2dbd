"""Deterministic random draws for the synthetic-night generators.

This module owns how a night turns ``(seed, session_key, purpose)`` into random
numbers, and the few distributions the generators need, all made from uniform
doubles by inverse transform:

* seeds come from BLAKE2b of the length-prefixed parts (never Python's salted
  ``hash()``), the bit generator is PCG64;
* only ``Generator.random`` is used (one 64-bit draw per double): NumPy does not
  promise stream compatibility for its other distributions across releases
  (NEP 19), and drawing ``m`` doubles yields the first ``m`` of drawing ``n > m``;
* ``Uniforms`` hands the doubles of one stream out one at a time, drawn in
  chunks, so a generator that consumes them in a fixed order produces the same
  beginning whatever the length it is asked for (the prefix property that
  ``emulator.asleep.night`` relies on).
"""

from __future__ import annotations

import hashlib
import math
from functools import lru_cache
from statistics import NormalDist
from typing import TYPE_CHECKING, Final

from emulator.core import lazy

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy.module("numpy")

_CHUNK: Final = 128
_STANDARD_NORMAL: Final = NormalDist()


@lru_cache(maxsize=64)
def _weibull_mean_factor(shape: float) -> float:
    """Mean of a unit-scale Weibull of this shape."""
    return math.gamma(1.0 + 1.0 / shape)


def rng(seed: int, session_key: str, stream: str) -> np.random.Generator:
    """An independent PCG64 stream for one purpose within one session."""
    h = hashlib.blake2b(digest_size=16, person=b"asleep-night")
    for part in (str(seed), session_key, stream):
        data = part.encode()
        h.update(len(data).to_bytes(4, "big"))  # length-prefixed: no ambiguous joins
        h.update(data)
    return np.random.Generator(np.random.PCG64(int.from_bytes(h.digest(), "big")))


class Uniforms:
    """The uniform doubles in [0, 1) of one stream, one at a time."""

    __slots__ = ("_buffer", "_generator", "_next")

    def __init__(self, generator: np.random.Generator) -> None:
        self._generator = generator
        self._buffer: list[float] = []
        self._next = 0

    def __call__(self) -> float:
        if self._next == len(self._buffer):
            self._buffer = self._generator.random(_CHUNK).tolist()
            self._next = 0
        value = self._buffer[self._next]
        self._next += 1
        return value

    def normal(self) -> float:
        """A standard normal deviate (inverse CDF of one uniform, in pure Python)."""
        u = self()
        return _STANDARD_NORMAL.inv_cdf(min(max(u, 1e-12), 1.0 - 1e-12))

    def weibull(self, mean: float, shape: float) -> float:
        """A Weibull deviate of the given mean and shape (inverse transform)."""
        scale = mean / _weibull_mean_factor(shape)
        return float(scale * (-math.log1p(-self())) ** (1.0 / shape))

    def epochs(self, mean: float, shape: float, low: int = 1, high: int | None = None) -> int:
        """A Weibull duration rounded to whole epochs, clipped to ``[low, high]``."""
        value = max(low, round(self.weibull(mean, shape)))
        return value if high is None else min(value, high)

    def chance(self, probability: float) -> bool:
        """True with the given probability."""
        return self() < probability
