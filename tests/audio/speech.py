"""Realistic speech for the voice-detector tests, synthesised with espeak-ng at test time.

Sentences are spoken one by one (several voices), trimmed of espeak's leading and
trailing silence, and joined with 0.3-0.8 s pauses, so the voiced time is known
exactly: the sum of the trimmed sentences. Resampling is done in numpy (FFT), so
only the ``espeak-ng`` binary is needed (Debian package ``espeak-ng``).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from emulator.audio import decode_mono
from emulator.audio.synth import Colour, noise
from emulator.audio.writer import encode_wav

ESPEAK = shutil.which("espeak-ng")
ESPEAK_RATE = 22050
MISSING = "espeak-ng is not installed (apt-get install espeak-ng); speech tests need it"
_TRIM_LEVEL = 0.005  # about -46 dBFS: below this espeak's edges are silence

SENTENCES = (
    "The morning train was late again, so we walked along the river to the old market.",
    "She told me the garden needs more water before the summer heat arrives.",
    "I have been sleeping badly for a few weeks, and I feel tired most afternoons.",
    "My brother moved to a small town near the coast last year.",
    "We usually cook dinner together on Sundays and talk about the week.",
    "The doctor asked how often I go outside and whether I still enjoy reading.",
    "Yesterday it rained all day, and the streets were full of puddles.",
    "I think the new library looks wonderful in the evening light.",
    "Sometimes I forget where I put my keys, which makes me late for work.",
    "Our neighbours have a friendly dog that barks at every passing bicycle.",
    "When I was younger I played the piano, but I stopped after school.",
    "The children were excited about the trip to the museum on Friday.",
    "It is hard to concentrate when the phone keeps ringing all morning.",
    "I would like to visit my grandmother more often than I do.",
    "Last winter the lake froze completely, and people skated across it.",
    "My favourite meal is a simple bowl of soup with fresh bread.",
)
VOICES = ("en-us", "en-gb+f3", "en-us+m3", "en-gb-scotland+f2")

Samples = NDArray[np.float64]


@dataclass(frozen=True)
class Speech:
    """Mono samples in [-1, 1] and the (start, end) seconds of each spoken sentence."""

    samples: Samples
    rate: int
    sentences: tuple[tuple[float, float], ...]

    @property
    def voiced_seconds(self) -> float:
        return sum(end - start for start, end in self.sentences)

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate

    def wav(self) -> bytes:
        return encode_wav(self.samples, self.rate)

    def resampled(self, rate: int) -> Speech:
        return replace(self, samples=resample(self.samples, self.rate, rate), rate=rate)

    def first(self, voiced_seconds: float) -> Speech:
        """The shortest prefix holding at least ``voiced_seconds`` of sentences."""
        kept: list[tuple[float, float]] = []
        for sentence in self.sentences:
            kept.append(sentence)
            if sum(end - start for start, end in kept) >= voiced_seconds:
                break
        cut = round(kept[-1][1] * self.rate)
        return replace(self, samples=self.samples[:cut], sentences=tuple(kept))

    def padded(self, seconds: float) -> Speech:
        """Digital silence appended up to ``seconds``."""
        missing = max(0, round(seconds * self.rate) - len(self.samples))
        return replace(self, samples=np.concatenate([self.samples, np.zeros(missing)]))

    def with_noise(self, snr_db: float, colour: Colour = "white", seed: int = 0) -> Speech:
        """Background noise throughout, at ``snr_db`` below the speech level while speaking."""
        voiced = np.concatenate(
            [self.samples[round(s * self.rate) : round(e * self.rate)] for s, e in self.sentences]
        )
        level = float(np.sqrt(np.mean(voiced**2))) / 10 ** (snr_db / 20)
        hiss = noise(len(self.samples), np.random.default_rng(seed), colour=colour) * level
        return replace(self, samples=np.clip(self.samples + hiss, -1.0, 1.0))


def say(text: str, voice: str = "en-us", words_per_minute: int = 165) -> Samples:
    """One utterance at 22.05 kHz, trimmed of leading and trailing silence."""
    if ESPEAK is None:
        raise RuntimeError(MISSING)
    command = [ESPEAK, "-v", voice, "-s", str(words_per_minute), "--stdout", text]
    wav = subprocess.run(command, capture_output=True, check=True, timeout=60).stdout
    # espeak-ng streams to stdout, so its WAV sizes are placeholders (0x7FFFF000):
    # a real-world case of the clamped "data past the end" rule in emulator.audio.wav.
    samples = decode_mono(wav).astype(np.float64)
    loud = np.flatnonzero(np.abs(samples) > _TRIM_LEVEL)
    return samples[loud[0] : loud[-1] + 1] if len(loud) else samples[:0]


def make_speech(
    voiced_seconds: float,
    *,
    seed: int = 0,
    pause: tuple[float, float] = (0.3, 0.8),
) -> Speech:
    """Sentences with pauses until at least ``voiced_seconds`` are spoken (22.05 kHz)."""
    rng = np.random.default_rng(seed)
    parts: list[Samples] = [np.zeros(int(rng.uniform(*pause) * ESPEAK_RATE))]
    sentences: list[tuple[float, float]] = []
    position, spoken, index = len(parts[0]), 0.0, int(rng.integers(len(SENTENCES)))
    while spoken < voiced_seconds:
        text = SENTENCES[index % len(SENTENCES)]
        utterance = say(text, VOICES[index % len(VOICES)], int(rng.integers(150, 185)))
        gap = np.zeros(int(rng.uniform(*pause) * ESPEAK_RATE))
        sentences.append((position / ESPEAK_RATE, (position + len(utterance)) / ESPEAK_RATE))
        parts += [utterance, gap]
        position += len(utterance) + len(gap)
        spoken += len(utterance) / ESPEAK_RATE
        index += 1
    return Speech(np.concatenate(parts), ESPEAK_RATE, tuple(sentences))


def resample(samples: Samples, source_rate: int, target_rate: int) -> Samples:
    """Band-limited resampling by zero-padding or truncating the spectrum."""
    if source_rate == target_rate:
        return samples
    wanted = round(len(samples) * target_rate / source_rate)
    # Pad to a whole number of 4-second blocks: both FFT lengths then factor into
    # small primes (a prime-sized FFT of a million points takes seconds).
    seconds = -(-len(samples) // (4 * source_rate)) * 4
    padded = np.zeros(seconds * source_rate)
    padded[: len(samples)] = samples
    length = seconds * target_rate
    spectrum = np.fft.rfft(padded)
    kept = np.zeros(length // 2 + 1, np.complex128)
    count = min(len(kept), len(spectrum))
    kept[:count] = spectrum[:count]
    resampled = np.fft.irfft(kept, length) * (length / len(padded))
    return np.clip(resampled[:wanted], -1.0, 1.0)
