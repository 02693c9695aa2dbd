"""The blockwise polyphase decimator equals a plain convolution followed by downsampling."""

from __future__ import annotations

import numpy as np
import pytest

from emulator.audio.decode import Source
from emulator.audio.resample import factor_for, iter_decimated, lowpass_taps
from emulator.audio.wav import Encoding
from emulator.audio.writer import encode_wav


def reference(mono: np.ndarray, factor: int) -> np.ndarray:
    """y[i] = sum_t h[t] x[(i - G + 1) * factor + t], with silence before the start."""
    if factor == 1:
        return mono
    taps = lowpass_taps(factor)
    history = len(taps) - factor
    padded = np.concatenate([np.zeros(history), mono])
    full = np.convolve(padded, taps[::-1], mode="valid")  # full[n] = sum_t h[t] padded[n + t]
    return full[::factor][: len(mono) // factor]


@pytest.mark.parametrize(
    ("rate", "channels", "block"),
    [(8000, 1, 7), (16000, 2, 100), (22050, 1, 5), (44100, 3, 64), (48000, 1, 1), (7000, 2, 9)],
)
def test_matches_reference_convolution(rate: int, channels: int, block: int) -> None:
    rng = np.random.default_rng(rate)
    samples = rng.uniform(-0.5, 0.5, (rate // 5, channels))
    data = encode_wav(samples, rate, Encoding.FLOAT32)
    factor = factor_for(rate, 4000)
    got = np.concatenate(list(iter_decimated(Source.open(data), 4000, block)))
    mono = samples.astype(np.float32).astype(np.float64).mean(axis=1)
    np.testing.assert_allclose(got, reference(mono, factor), atol=2e-6)


def test_block_size_does_not_change_the_result() -> None:
    data = encode_wav(np.random.default_rng(0).uniform(-1, 1, 44100), 44100)
    whole = np.concatenate(list(iter_decimated(Source.open(data), 4000, 10_000)))
    pieces = np.concatenate(list(iter_decimated(Source.open(data), 4000, 3)))
    np.testing.assert_allclose(whole, pieces, atol=1e-7)


def test_unit_gain_at_dc_and_a_stopband() -> None:
    rate = 48000
    t = np.arange(rate) / rate
    dc = np.concatenate(
        list(iter_decimated(Source.open(encode_wav(np.full(rate, 0.5), rate)), 4000, 256))
    )
    assert np.allclose(dc[10:], 0.5, atol=1e-3)
    high = encode_wav(0.5 * np.sin(2 * np.pi * 6000 * t), rate)  # far above the 2 kHz Nyquist
    leaked = np.concatenate(list(iter_decimated(Source.open(high), 4000, 256)))
    assert np.sqrt(np.mean(leaked[10:] ** 2)) < 0.01


def test_too_short_for_one_output_yields_nothing() -> None:
    assert list(iter_decimated(Source.open(encode_wav(np.zeros(5), 48000)), 4000, 256)) == []
