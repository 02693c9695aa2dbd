"""Deterministic speech-like and noise signals, for the benchmark and for tests.

Not speech, but it has what voice detectors key on: a harmonic source with a
moving pitch (declining over each "sentence", with jitter) shaped by three gliding
vowel formants, syllables of 120-260 ms at about 4 Hz separated by short gaps and
fricative-like noise bursts, and 0.3-0.8 s pauses between sentences, over a quiet
noise floor. Both the Silero network and the heuristic detector count it as voice
at every common sample rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, TypeAlias

from emulator.audio import deferred

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray
else:
    np = deferred.module("numpy")

Signal: TypeAlias = "NDArray[np.float64]"
Colour = Literal["white", "pink", "brown"]
_BANK_SENTENCES = 24  # distinct sentences synthesised, then reused in a seeded order
# First three formants (Hz) of eight English vowels (Peterson & Barney averages).
_VOWELS = (
    (730, 1090, 2440),
    (270, 2290, 3010),
    (530, 1840, 2480),
    (660, 1720, 2410),
    (300, 870, 2240),
    (640, 1190, 2390),
    (440, 1020, 2240),
    (490, 1350, 1690),
)
_FORMANT_WIDTHS = (90.0, 110.0, 170.0)


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
    # A vowel gliding to another: each harmonic is weighted by the resonances of the
    # first three formants (additive source-filter synthesis), as a vocal tract would;
    # the weights move linearly from the first vowel's to the second's.
    first, second = (_VOWELS[int(rng.integers(len(_VOWELS)))] for _ in range(2))
    count = max(1, int(min(0.45 * rate, 4500.0) / pitch))
    freqs: Signal = np.arange(1, count + 1, dtype=np.float64) * pitch
    start_gain, end_gain = _formant_gain(freqs, first), _formant_gain(freqs, second)
    glide = np.linspace(0.0, 1.0, length)
    # sin(k x) by the Chebyshev recurrence sin((k+1)x) = 2 cos(x) sin(kx) - sin((k-1)x):
    # one multiply-add per harmonic instead of a sine.
    twice_cos = 2 * np.cos(phase)
    before, current = np.zeros(length), np.sin(phase)
    voice = np.zeros(length)
    for k in range(count):
        weight = start_gain[k] + glide * (end_gain[k] - start_gain[k])
        voice += weight * current / (k + 1)  # -6 dB/octave source
        before, current = current, twice_cos * current - before
    envelope = np.hanning(length) ** 0.7
    return 0.04 * rng.uniform(0.5, 1.0) * voice * envelope


def _formant_gain(freqs: Signal, vowel: tuple[int, int, int]) -> Signal:
    gain: Signal = np.full(freqs.shape, 0.05)
    for centre, width in zip(vowel, _FORMANT_WIDTHS, strict=True):
        gain += 1 / (1 + ((freqs - centre) / width) ** 2)
    return gain


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
