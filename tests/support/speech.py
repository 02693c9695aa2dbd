"""Real synthetic speech for the voice tests: espeak-ng at test time, sox for rooms and lines.

Sentences are spoken one by one, trimmed of espeak's leading and trailing silence, and
joined with pauses, so the voiced time is known exactly: the sum of the trimmed
sentences. A `Voice` fixes how they are spoken (espeak voice, pitch, speed, loudness,
intonation range); without one, sentences rotate through four voices at varied speeds
as in a conversation. Resampling is numpy (FFT); `Speech.through_sox` runs sox effects
(reverb, telephone band). Needs the ``espeak-ng`` binary, and ``sox`` for
`through_sox` (Debian packages of the same names); tests skip without them.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from emulator.audio import decode_mono
from emulator.audio.synth import Colour, noise
from emulator.audio.writer import encode_wav

ESPEAK = shutil.which("espeak-ng")
SOX = shutil.which("sox")
ESPEAK_RATE = 22050
MISSING = "espeak-ng is not installed (apt-get install espeak-ng); speech tests need it"
SOX_MISSING = "sox is not installed (apt-get install sox); these speech tests need it"
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
class Voice:
    """How espeak-ng speaks: voice name, ``-p`` pitch (0-99), ``-s`` words per minute,
    ``-a`` amplitude (0-200) and the SSML intonation range (``x-low`` = monotone)."""

    name: str = "en-us"
    pitch: int = 50
    words_per_minute: int = 165
    amplitude: int = 100
    range: str = "medium"


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

    def peak(self, dbfs: float) -> Speech:
        """Scaled so the loudest sample is at ``dbfs``."""
        top = float(np.max(np.abs(self.samples))) or 1.0
        return replace(self, samples=self.samples * (10 ** (dbfs / 20) / top))

    def voiced_rms(self) -> float:
        voiced = np.concatenate(
            [self.samples[round(s * self.rate) : round(e * self.rate)] for s, e in self.sentences]
        )
        return float(np.sqrt(np.mean(voiced**2)))

    def with_noise(self, snr_db: float, colour: Colour = "white", seed: int = 0) -> Speech:
        """Background noise throughout, at ``snr_db`` below the speech level while speaking."""
        level = self.voiced_rms() / 10 ** (snr_db / 20)
        hiss = noise(len(self.samples), np.random.default_rng(seed), colour=colour) * level
        return replace(self, samples=np.clip(self.samples + hiss, -1.0, 1.0))

    def over(self, bed: Samples, snr_db: float) -> Speech:
        """Mixed over ``bed`` (same rate, looped or cut to length), ``snr_db`` below the voice."""
        looped = np.resize(bed, len(self.samples))
        bed_rms = float(np.sqrt(np.mean(looped**2))) or 1.0
        scaled = looped * (self.voiced_rms() / 10 ** (snr_db / 20) / bed_rms)
        return replace(self, samples=np.clip(self.samples + scaled, -1.0, 1.0))

    def through_sox(self, *effects: str, rate: int | None = None) -> Speech:
        """The samples run through ``sox in.wav [-r rate] out.wav <effects>`` (mono out)."""
        samples, out_rate = sox(self.samples, self.rate, list(effects), rate_out=rate)
        ratio = len(samples) / out_rate / self.seconds
        sentences = tuple((s * ratio, e * ratio) for s, e in self.sentences)
        return Speech(samples, out_rate, sentences)


@dataclass(frozen=True)
class Speaker:
    """A way of speaking: the voice, and the pauses between sentences (seconds)."""

    voice: Voice
    pause: tuple[float, float]

    def speech(self, voiced_seconds: float = 34.0, *, seed: int = 3) -> Speech:
        """``voiced_seconds`` of this speaker's sentences, peaking at -6 dBFS."""
        return make_speech(voiced_seconds, seed=seed, voice=self.voice, pause=self.pause).peak(-6)


# Speaking styles the voice-following predictions tell apart (emulator.kintsugi.voice):
# at seed 0 they land in every label of every model (tests/kintsugi/test_voice.py).
SPEAKERS = {
    "lively": Speaker(Voice("en-us+f4", 70, 205, range="x-high"), (0.2, 0.5)),
    "neutral": Speaker(Voice("en-gb", 45, 165), (0.3, 0.8)),
    "weary": Speaker(Voice("en-gb-x-rp+m7", 40, 150, range="low"), (0.4, 1.0)),
    "subdued": Speaker(Voice("en-us", 35, 140, range="low"), (0.5, 1.2)),
    "flat_slow": Speaker(Voice("en-us", 20, 120, range="x-low"), (0.8, 1.8)),
    "hurried": Speaker(Voice("en-us+f4", 80, 200), (0.2, 0.5)),
    "tense": Speaker(Voice("en-gb-scotland+f2", 85, 220, range="low"), (0.1, 0.3)),
}


def sox(
    samples: Samples, rate: int, effects: list[str], *, rate_out: int | None = None
) -> tuple[Samples, int]:
    """Run sox effects on mono samples; (samples, rate) back, at ``rate_out`` if given."""
    if SOX is None:
        raise RuntimeError(SOX_MISSING)
    target = rate_out or rate
    with tempfile.TemporaryDirectory() as folder:
        source, result = Path(folder) / "in.wav", Path(folder) / "out.wav"
        source.write_bytes(encode_wav(samples, rate))
        command = [SOX, "-q", str(source), "-r", str(target), "-c", "1", "-b", "16", str(result)]
        subprocess.run([*command, *effects], check=True, timeout=120)
        return decode_mono(result.read_bytes()).astype(np.float64), target


@functools.lru_cache(maxsize=512)
def _spoken(text: str, voice: Voice) -> Samples:
    if ESPEAK is None:
        raise RuntimeError(MISSING)
    ssml = f'<speak><prosody range="{voice.range}">{text}</prosody></speak>'
    command = [ESPEAK, "-m", "-v", voice.name, "-p", str(voice.pitch), "-s"]
    command += [str(voice.words_per_minute), "-a", str(voice.amplitude), "--stdout", ssml]
    wav = subprocess.run(command, capture_output=True, check=True, timeout=60).stdout
    # espeak-ng streams to stdout, so its WAV sizes are placeholders (0x7FFFF000):
    # a real-world case of the clamped "data past the end" rule in emulator.audio.wav.
    samples = decode_mono(wav).astype(np.float64)
    loud = np.flatnonzero(np.abs(samples) > _TRIM_LEVEL * voice.amplitude / 100)
    trimmed = samples[loud[0] : loud[-1] + 1] if len(loud) else samples[:0]
    trimmed.flags.writeable = False  # shared by the cache
    return trimmed


def say(text: str, voice: str | Voice = "en-us", words_per_minute: int = 165) -> Samples:
    """One utterance at 22.05 kHz, trimmed of leading and trailing silence."""
    chosen = voice if isinstance(voice, Voice) else Voice(voice, words_per_minute=words_per_minute)
    return _spoken(text, chosen)


def make_speech(
    voiced_seconds: float,
    *,
    seed: int = 0,
    pause: tuple[float, float] = (0.3, 0.8),
    voice: Voice | None = None,
) -> Speech:
    """Sentences with pauses until at least ``voiced_seconds`` are spoken (22.05 kHz).

    With ``voice`` one speaker says every sentence; without, four voices take turns."""
    rng = np.random.default_rng(seed)
    parts: list[Samples] = [np.zeros(int(rng.uniform(*pause) * ESPEAK_RATE))]
    sentences: list[tuple[float, float]] = []
    position, spoken, index = len(parts[0]), 0.0, int(rng.integers(len(SENTENCES)))
    while spoken < voiced_seconds:
        text = SENTENCES[index % len(SENTENCES)]
        speed = int(rng.integers(150, 185))
        utterance = say(text, voice or Voice(VOICES[index % len(VOICES)], words_per_minute=speed))
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
