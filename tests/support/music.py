"""Music and tones made with numpy: the sounds a voice detector must not count as voice.

Each builder returns mono float64 samples in [-1, 1] and is a pure function of its
arguments (seeded), so the corpus regenerates byte for byte. They imitate what fooled
the old pitch-and-modulation heuristic (issue 14): melodies whose notes sit in the
range of speaking voices and move like intonation (organ; flute and cello with
vibrato), plucked chords, a 120 Hz buzz with tremolo, and a band-like bed to put
speech over.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Samples = NDArray[np.float64]

# A minor pentatonic over three octaves, as MIDI notes (A2 = 45).
_SCALE = np.array([0, 3, 5, 7, 10])
_CHORDS = ((57, 60, 64), (53, 57, 60), (48, 52, 55), (55, 59, 62))  # Am F C G


def _hz(note: float) -> float:
    return float(440.0 * 2 ** ((note - 69) / 12))


def _notes(
    rng: np.random.Generator, seconds: float, low: int, span: int
) -> list[tuple[int, float]]:
    """(MIDI note, duration) pairs of a random walk on the scale, 0.25-0.9 s each."""
    notes, total, degree = [], 0.0, int(rng.integers(5))
    while total < seconds:
        degree = int(np.clip(degree + rng.integers(-2, 3), 0, 5 * span - 1))
        length = float(rng.choice([0.25, 0.4, 0.5, 0.75, 0.9]))
        notes.append((low + 12 * (degree // 5) + int(_SCALE[degree % 5]), length))
        total += length
    return notes


def _voice(
    freq: float,
    seconds: float,
    rate: int,
    harmonics: NDArray[np.float64],
    *,
    vibrato: float = 0.0,
    attack: float = 0.03,
    phase: float = 0.0,
) -> Samples:
    count = int(seconds * rate)
    t = np.arange(count) / rate
    wobble = 1 + vibrato * np.sin(2 * np.pi * 5.5 * t + phase)
    angle = 2 * np.pi * np.cumsum(freq * wobble) / rate
    tone = np.zeros(count)
    for k, gain in enumerate(harmonics, start=1):
        if k * freq < 0.45 * rate:
            tone += gain * np.sin(k * angle)
    ramp = min(count // 2, int(attack * rate))
    envelope = np.ones(count)
    if ramp:
        envelope[:ramp] = np.linspace(0, 1, ramp)
        envelope[-ramp:] = np.linspace(1, 0, ramp)
    return tone * envelope


def melody(instrument: str, seconds: float, rate: int = 16000, *, seed: int = 0) -> Samples:
    """``organ``, ``flute`` or ``cello`` playing a random pentatonic tune."""
    rng = np.random.default_rng(seed)
    if instrument == "organ":
        low, span, vibrato, harmonics = 45, 2, 0.0, np.array([1, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1])
    elif instrument == "flute":
        low, span, vibrato, harmonics = 69, 2, 0.012, np.array([1, 0.25, 0.1, 0.05])
    elif instrument == "cello":
        low, span, vibrato = 36, 2, 0.015
        harmonics = np.array([0.6, 1.0, 0.8, 0.7, 0.5, 0.45, 0.3, 0.25, 0.2, 0.15, 0.1, 0.08])
    else:
        raise ValueError(instrument)
    parts = [
        _voice(_hz(note), length, rate, harmonics, vibrato=vibrato, phase=rng.uniform(0, 6))
        for note, length in _notes(rng, seconds, low, span)
    ]
    out = np.concatenate(parts)[: int(seconds * rate)]
    if instrument == "flute":  # breath
        out += 0.02 * rng.standard_normal(len(out)) * np.abs(out).max()
    return _normalised(out)


def plucked_chords(seconds: float, rate: int = 16000, *, seed: int = 0) -> Samples:
    """Strummed three-note chords (Karplus-Strong strings), one every 1-2 s."""
    rng = np.random.default_rng(seed)
    out = np.zeros(int(seconds * rate) + rate * 3)
    position, index = 0, 0
    while position < int(seconds * rate):
        for offset, note in enumerate(_CHORDS[index % len(_CHORDS)]):
            start = position + offset * int(0.02 * rate)
            string = _pluck(_hz(note - 12), 2.5, rate, rng)
            out[start : start + len(string)] += string
        position += int(rng.uniform(1.0, 2.0) * rate)
        index += 1
    return _normalised(out[: int(seconds * rate)])


def _pluck(freq: float, seconds: float, rate: int, rng: np.random.Generator) -> Samples:
    period = max(2, round(rate / freq))
    count = int(seconds * rate)
    out = np.empty(count)
    out[:period] = rng.uniform(-1, 1, period)
    for start in range(period, count, period):
        block = out[start - period : start]
        end = min(count, start + period)
        smoothed = 0.996 * 0.5 * (block + np.roll(block, 1))
        out[start:end] = smoothed[: end - start]
    return out


def buzz(
    seconds: float, rate: int = 16000, *, freq: float = 120.0, tremolo: float = 5.0
) -> Samples:
    """A sawtooth at ``freq`` with slow pitch drift and ``tremolo`` Hz amplitude modulation."""
    t = np.arange(int(seconds * rate)) / rate
    drift = freq * (1 + 0.03 * np.sin(2 * np.pi * 0.2 * t))
    phase = np.cumsum(drift) / rate
    saw = 2 * (phase - np.floor(phase + 0.5))
    return _normalised(saw * (0.55 + 0.45 * np.sin(2 * np.pi * tremolo * t)))


def band(seconds: float, rate: int = 16000, *, seed: int = 0) -> Samples:
    """A band-like bed: chords, an organ line and a kick on the beat."""
    t = np.arange(int(seconds * rate)) / rate
    kick = np.sin(2 * np.pi * 55 * t) * np.exp(-((t % 0.5) * 18))
    mix = plucked_chords(seconds, rate, seed=seed) + 0.6 * melody("organ", seconds, rate, seed=seed)
    return _normalised(mix + 0.8 * kick)


def _normalised(samples: Samples, peak: float = 0.5) -> Samples:
    top = float(np.max(np.abs(samples))) or 1.0
    return samples * (peak / top)
