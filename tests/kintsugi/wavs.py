"""WAV bytes for the Kintsugi tests: noise (a distinct recording per seed, no voice in it),
re-encodings of the same samples, and real espeak-ng speech (tests.audio.speech)."""

from __future__ import annotations

import numpy as np

from emulator.audio import Encoding
from emulator.audio.writer import encode_wav
from tests.audio.speech import ESPEAK, make_speech

SPEECH_MISSING = "espeak-ng is not installed: cannot synthesise 30 s of real speech"


def noise(seed: int, seconds: float = 1.0, rate: int = 16000) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-0.3, 0.3, int(seconds * rate))


def wav(samples: np.ndarray, rate: int, encoding: Encoding = Encoding.PCM_S16) -> bytes:
    return encode_wav(samples, rate, encoding)


def noise_wav(seed: int = 0, seconds: float = 1.0, rate: int = 16000) -> bytes:
    return wav(noise(seed, seconds, rate), rate)


def stereo_wav(seconds: float = 1.0, rate: int = 16000) -> bytes:
    mono = noise(1, seconds, rate)
    return wav(np.stack([mono, mono], axis=1), rate)


def speech_wav(voiced_seconds: float = 35.0) -> bytes | None:
    """Sentences of espeak-ng speech holding ``voiced_seconds`` of voice, or None
    without espeak-ng."""
    if ESPEAK is None:
        return None
    return make_speech(voiced_seconds, seed=4).wav()
