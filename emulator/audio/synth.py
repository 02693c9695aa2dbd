"""Deterministic speech-like and noise signals, for the benchmark and for tests.

Not speech, but it has what the detector keys on: a harmonic source with a
moving pitch (declining over each "sentence", with jitter), syllables of 120-260
ms at about 4 Hz separated by short gaps and fricative-like noise bursts, and
0.3-0.8 s pauses between sentences, over a quiet noise floor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, TypeAlias

from emulator.core import lazy

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray
else:
    np = lazy.module("numpy")

Signal: TypeAlias = "NDArray[np.float64]"
Colour = Literal["white", "pink", "brown"]
_BANK_SENTENCES = 24  # distinct sentences synthesised, then reused in a seeded order


@dataclass(frozen=True, slots=True)
class Synthetic:
    """Samples in [-1, 1] and how many seconds of them are speech-like sentences."""

    samples: Signal
    rate: int
    voiced_seconds: float


def speech_like(
    seconds: float, rate: int, *, seed: int = 0, noise_dbfs: float = -55.0
) -> Synthetic:
    """``seconds`` of sentences and pauses; the same arguments give the same samples."""
    rng = np.random.default_rng(seed)
    bank = [_sentence(rng, rate) for _ in range(_BANK_SENTENCES)]
    total = round(seconds * rate)
    out = noise(total, rng, colour="white") * 10 ** (noise_dbfs / 20)
    pos, voiced = int(rng.uniform(0.2, 0.6) * rate), 0
    while pos < total:
        sentence = bank[int(rng.integers(len(bank)))]
        end = min(total, pos + len(sentence))
        out[pos:end] += sentence[: end - pos]
        voiced += end - pos
        pos = end + int(rng.uniform(0.3, 0.8) * rate)
    return Synthetic(np.clip(out, -1.0, 1.0), rate, voiced / rate)


def _sentence(rng: np.random.Generator, rate: int) -> Signal:
    syllables = []
    start_pitch = rng.uniform(95, 220)
    count = int(rng.integers(6, 16))
    for index in range(count):
        pitch = start_pitch * (1 - 0.25 * index / count)  # declination over the sentence
        syllables.append(_syllable(rng, rate, pitch))
        gap = np.zeros(int(rng.uniform(0.02, 0.07) * rate))
        if rng.random() < 0.3:  # an unvoiced consonant between syllables
            gap = noise(len(gap) + int(0.05 * rate), rng, colour="white") * 0.03
        syllables.append(gap)
    return np.concatenate(syllables)


def _syllable(rng: np.random.Generator, rate: int, pitch: float) -> Signal:
    length = int(rng.uniform(0.12, 0.26) * rate)
    t = np.arange(length) / rate
    contour = pitch * (1 + 0.08 * np.sin(2 * np.pi * rng.uniform(2, 5) * t + rng.uniform(0, 6)))
    contour *= 1 + 0.01 * rng.standard_normal(length).cumsum() / np.sqrt(length)  # jitter
    phase = 2 * np.pi * np.cumsum(contour) / rate
    formant = rng.uniform(400, 900)  # a crude vowel: boost harmonics near one formant
    voice = np.zeros(length)
    for harmonic in range(1, 12):
        freq = harmonic * pitch
        if freq >= 0.45 * rate:
            break
        gain = (1 / harmonic) * (1 + 2 * np.exp(-(((freq - formant) / 200) ** 2)))
        voice += gain * np.sin(harmonic * phase)
    envelope = np.hanning(length) ** 0.7
    return 0.12 * rng.uniform(0.5, 1.0) * voice * envelope


def noise(length: int, rng: np.random.Generator, *, colour: Colour = "white") -> Signal:
    """Unit-RMS noise: ``white``, ``pink`` (1/f power) or ``brown`` (1/f^2)."""
    white = rng.standard_normal(length)
    if colour == "white" or length < 2:
        return white
    spectrum = np.fft.rfft(white)
    freqs = np.arange(len(spectrum), dtype=np.float64)
    freqs[0] = 1.0
    spectrum /= freqs ** (0.5 if colour == "pink" else 1.0)
    shaped = np.fft.irfft(spectrum, length)
    shaped -= shaped.mean()
    return shaped / (np.std(shaped) or 1.0)


def tone(seconds: float, rate: int, frequency: float, *, amplitude: float = 0.3) -> Signal:
    """A steady sine tone."""
    t = np.arange(round(seconds * rate)) / rate
    return amplitude * np.sin(2 * np.pi * frequency * t)
