"""Speech for tests: a WAV holding at least N seconds of voice, for Kintsugi's 30-s rule.

Kintsugi refuses a recording with less than 30 s of voice "after removing silence and
non-voice" (docs/kintsugi.md, audio checks), and the emulator measures voice with a
voice-activity detector, so a client's tests need something that sounds like speech,
not a tone or noise. ``speech_wav(35)`` gives one::

    from emulator.audio.speech import speech_wav

    wav = speech_wav(35)       # bytes of a 16 kHz mono 16-bit WAV, >= 35 s of voice

Engines:

* ``synthetic`` (the default) - a formant synthesiser in numpy: syllables of fricative
  or plosive noise and a vowel (three formant resonators on a jittered, falling
  pitch), in sentences of 6-15 syllables with 0.3-0.8 s pauses over a quiet noise
  floor. Nothing to install and the same bytes everywhere for the same arguments.
  Not words, but a trained detector hears it as speech. Sentences are made for 1.15
  times the voice asked for; over seeds 0-15 with 30 and 35 s asked, the Silero VAD
  network (its default thresholds) counted 1.25-1.36 times the voice asked for and the
  emulator's heuristic detector 1.19-1.29 times (tests/audio/test_speech.py checks
  both on a few seeds and lengths).
* ``espeak`` - English sentences spoken by ``espeak-ng`` (Debian/Ubuntu package
  ``espeak-ng``, Homebrew ``espeak-ng``) in several voices, 0.3-0.8 s pauses: real
  speech, the same bytes for the same espeak-ng version.
* ``auto`` - espeak-ng when it is on the PATH, else synthetic (the bytes then depend
  on the machine: fine for accept/reject tests, not for asserting unforced labels).

Tests that only need *some* WAV accepted can instead lower the threshold
(``Settings().with_dotted({"kintsugi.min_voice_seconds": "0"})``).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

from emulator.audio.decode import decode_mono
from emulator.audio.writer import encode_wav

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

Engine = Literal["auto", "espeak", "synthetic"]
ESPEAK_RATE: Final = 22050
_TRIM: Final = 0.005  # about -46 dBFS: quieter edges of an utterance are espeak's silence
# Formants (F1, F2, F3 in Hz) of eight English vowels (Peterson & Barney's adult male
# means): i, e, a, o, u, ae, er, and a central one; bandwidths of the three resonators.
_VOWELS: Final = (
    (270.0, 2290.0, 3010.0),
    (530.0, 1840.0, 2480.0),
    (730.0, 1090.0, 2440.0),
    (570.0, 840.0, 2410.0),
    (300.0, 870.0, 2240.0),
    (660.0, 1720.0, 2410.0),
    (490.0, 1350.0, 1690.0),
    (440.0, 1020.0, 2240.0),
)
_BANDWIDTHS: Final = (60.0, 90.0, 120.0)
_FRICATIVES: Final = ((3500.0, 7500.0), (2000.0, 4500.0), (1000.0, 6000.0))
_STEP: Final = 16  # samples between formant weights (each held for _STEP samples)
# Sentences hold the syllables' short gaps and consonants too: a margin over the ask so
# that no detector's counting of them falls short (see the module docstring).
_MARGIN: Final = 1.15
SENTENCES: Final = (
    "The morning train was late again, so we walked along the river to the old market.",
    "She told me the garden needs more water before the summer heat arrives.",
    "I have been sleeping badly for a few weeks, and I feel tired most afternoons.",
    "My brother moved to a small town near the coast last year.",
    "We usually cook dinner together on Sundays and talk about the week.",
    "Yesterday it rained all day, and the streets were full of puddles.",
    "Sometimes I forget where I put my keys, which makes me late for work.",
    "When I was younger I played the piano, but I stopped after school.",
)
VOICES: Final = ("en-us", "en-gb+f3", "en-us+m3", "en-gb-scotland+f2")


class SpeechUnavailable(RuntimeError):
    """``engine="espeak"`` was asked for and espeak-ng is not installed."""


@dataclass(frozen=True, slots=True)
class Speech:
    """A speech WAV and what is in it: ``voiced_seconds`` is the time of its spoken
    sentences (espeak: the trimmed utterances), pauses excluded."""

    wav: bytes
    rate: int
    seconds: float
    voiced_seconds: float
    engine: Literal["espeak", "synthetic"]


def espeak_path() -> str | None:
    """Where espeak-ng is, or None."""
    return shutil.which("espeak-ng")


def speech_wav(
    voiced_seconds: float = 35.0,
    *,
    rate: int = 16000,
    seed: int = 0,
    engine: Engine = "synthetic",
) -> bytes:
    """A mono 16-bit PCM WAV at ``rate`` Hz holding at least ``voiced_seconds`` of voice."""
    return speech(voiced_seconds, rate=rate, seed=seed, engine=engine).wav


def speech(
    voiced_seconds: float = 35.0,
    *,
    rate: int = 16000,
    seed: int = 0,
    engine: Engine = "synthetic",
) -> Speech:
    """Like ``speech_wav``, with the duration, the voiced time and the engine used."""
    if not voiced_seconds > 0 or voiced_seconds > 3600:
        raise ValueError("voiced_seconds must be above 0 and at most 3600")
    if not 8000 <= rate <= 48000:
        raise ValueError("rate must be between 8000 and 48000 Hz")
    espeak = espeak_path()
    if engine == "espeak" and espeak is None:
        raise SpeechUnavailable(
            "espeak-ng is not installed (apt-get install espeak-ng); "
            'use engine="synthetic" (the default) or "auto"'
        )
    if engine != "synthetic" and espeak is not None:
        samples, voiced = _spoken(espeak, voiced_seconds, seed)
        samples = _resample(samples, ESPEAK_RATE, rate)
        name: Literal["espeak", "synthetic"] = "espeak"
    else:
        samples, voiced = _synthetic(voiced_seconds, rate, seed)
        name = "synthetic"
    return Speech(encode_wav(samples, rate), rate, len(samples) / rate, voiced, name)


def _synthetic(voiced_seconds: float, rate: int, seed: int) -> tuple[NDArray[np.float64], float]:
    """Sentences of formant-synthesised syllables and pauses until enough are made."""
    import numpy as np

    rng = np.random.default_rng(seed)
    parts = [_floor(rng, int(rng.uniform(0.3, 0.8) * rate))]
    spoken = 0.0
    while spoken < voiced_seconds * _MARGIN:
        said = _sentence(rng, rate)
        parts += [said, _floor(rng, int(rng.uniform(0.3, 0.8) * rate))]
        spoken += len(said) / rate
    return np.clip(np.concatenate(parts), -1.0, 1.0), spoken


def _floor(rng: np.random.Generator, length: int) -> NDArray[np.float64]:
    """A quiet noise floor (-55 dBFS): a pause in a room, not digital silence."""
    return rng.standard_normal(length) * 10 ** (-55 / 20)


def _sentence(rng: np.random.Generator, rate: int) -> NDArray[np.float64]:
    """6-15 syllables: an optional fricative or plosive, then a vowel whose formants
    glide from the last vowel's, on a pitch falling over the sentence."""
    import numpy as np

    parts: list[NDArray[np.float64]] = []
    previous = np.asarray(_VOWELS[rng.integers(len(_VOWELS))])
    start_pitch, count = rng.uniform(100, 210), int(rng.integers(6, 16))
    for index in range(count):
        kind = rng.random()
        if kind < 0.35:  # s, sh or f
            low, high = _FRICATIVES[rng.integers(len(_FRICATIVES))]
            parts.append(0.08 * _noise_band(rng, rate, rng.uniform(0.05, 0.12), low, high))
        elif kind < 0.6:  # a closure, then a plosive's burst
            parts.append(np.zeros(int(rng.uniform(0.02, 0.05) * rate)))
            parts.append(0.15 * _noise_band(rng, rate, 0.012, 500, 6000))
        target = np.asarray(_VOWELS[rng.integers(len(_VOWELS))]) * rng.uniform(0.92, 1.08)
        onset = (previous + target * rng.uniform(0.8, 1.2)) / 2
        pitch = start_pitch * (1 - 0.25 * index / count)
        vowel = _vowel(rng, rate, pitch, onset, target, rng.uniform(0.10, 0.24))
        parts.append(vowel / (np.max(np.abs(vowel)) or 1.0) * 0.35 * rng.uniform(0.6, 1.0))
        previous = target
        if rng.random() < 0.3:  # a gap between words
            parts.append(np.zeros(int(rng.uniform(0.03, 0.09) * rate)))
    return np.concatenate(parts)


def _vowel(
    rng: np.random.Generator,
    rate: int,
    pitch: float,
    onset: NDArray[np.float64],
    target: NDArray[np.float64],
    seconds: float,
) -> NDArray[np.float64]:
    """Harmonics of a jittered, vibrating pitch, each weighted by a three-formant
    cascade (the source's -12 dB/octave and the lips' +6 dB/octave as 1/h)."""
    import numpy as np

    n = int(seconds * rate)
    t = np.arange(n) / rate
    f0 = pitch * (1 + 0.06 * np.sin(2 * np.pi * rng.uniform(2, 5) * t + rng.uniform(0, 6)))
    f0 *= 1 + 0.008 * rng.standard_normal(n).cumsum() / np.sqrt(n)
    phase = 2 * np.pi * np.cumsum(f0) / rate
    coarse = np.arange(0, n, _STEP)  # formants and pitch move slowly: weigh every _STEP
    glide = np.clip(coarse / (0.4 * n), 0, 1)[:, None]
    formants = onset[None, :] * (1 - glide) + target[None, :] * glide
    top = min(4800.0, 0.45 * rate)
    harmonics = np.arange(1, int(top // f0[coarse].min()) + 1, dtype=np.float64)
    freq = harmonics[:, None] * f0[coarse][None, :]  # (harmonic, coarse step)
    weight = _cascade(freq, formants[None, :, :]) / harmonics[:, None]
    weight[freq > 0.45 * rate] = 0.0
    held = np.repeat(weight, _STEP, axis=1)[:, :n]
    out = np.einsum("hn,hn->n", held, np.sin(harmonics[:, None] * phase[None, :]))
    attack_decay = np.minimum(t / 0.02, (t[-1] - t) / 0.04 + 1e-9)
    shaped: NDArray[np.float64] = out * np.clip(attack_decay, 0.0, 1.0) ** 0.8
    return shaped


def _cascade(freq: NDArray[np.float64], formants: NDArray[np.float64]) -> NDArray[np.float64]:
    """Gain at ``freq`` of second-order resonators at ``formants`` (last axis: F1-F3;
    1 at 0 Hz)."""
    import numpy as np

    gain: NDArray[np.float64] = np.ones_like(freq)
    for k, bandwidth in enumerate(_BANDWIDTHS):
        centre = formants[..., k]
        ratio = freq / centre
        gain /= np.sqrt((1 - ratio**2) ** 2 + (freq * bandwidth / centre**2) ** 2)
    return gain


def _noise_band(
    rng: np.random.Generator, rate: int, seconds: float, low: float, high: float
) -> NDArray[np.float64]:
    import numpy as np

    n = int(seconds * rate)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / rate)
    spectrum[(freqs < low) | (freqs > high)] *= 0.05
    burst = np.fft.irfft(spectrum, n)
    return burst / (np.std(burst) or 1.0) * np.hanning(n)


def _say(espeak: str, text: str, voice: str, words_per_minute: int) -> NDArray[np.float64]:
    import numpy as np

    command = [espeak, "-v", voice, "-s", str(words_per_minute), "--stdout", text]
    wav = subprocess.run(command, capture_output=True, check=True, timeout=60).stdout
    samples = decode_mono(wav).astype(np.float64)
    loud = np.flatnonzero(np.abs(samples) > _TRIM)
    return samples[loud[0] : loud[-1] + 1] if len(loud) else samples[:0]


def _spoken(espeak: str, voiced_seconds: float, seed: int) -> tuple[NDArray[np.float64], float]:
    """Sentences and pauses at 22.05 kHz until ``voiced_seconds`` are spoken."""
    import numpy as np

    rng = np.random.default_rng(seed)
    parts = [np.zeros(int(rng.uniform(0.3, 0.8) * ESPEAK_RATE))]
    spoken, index = 0.0, int(rng.integers(len(SENTENCES)))
    while spoken < voiced_seconds:
        voice = VOICES[index % len(VOICES)]
        said = _say(espeak, SENTENCES[index % len(SENTENCES)], voice, int(rng.integers(150, 185)))
        parts += [said, np.zeros(int(rng.uniform(0.3, 0.8) * ESPEAK_RATE))]
        spoken += len(said) / ESPEAK_RATE
        index += 1
    return np.concatenate(parts), spoken


def _resample(samples: NDArray[np.float64], source: int, target: int) -> NDArray[np.float64]:
    """Band-limited resampling by cutting or zero-padding the spectrum."""
    import numpy as np

    if source == target:
        return samples
    wanted = round(len(samples) * target / source)
    # Whole 4-second blocks: both FFT lengths factor into small primes (fast).
    blocks = -(-len(samples) // (4 * source))
    padded = np.zeros(blocks * 4 * source)
    padded[: len(samples)] = samples
    length = blocks * 4 * target
    spectrum = np.fft.rfft(padded)
    kept = np.zeros(length // 2 + 1, np.complex128)
    count = min(len(kept), len(spectrum))
    kept[:count] = spectrum[:count]
    out = np.fft.irfft(kept, length) * (length / len(padded))
    return np.clip(out[:wanted], -1.0, 1.0)
