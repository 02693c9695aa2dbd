"""Small upload payloads shared by the tests: silent and noise WAVs, a mel-spectrogram ``.npy``,
re-encodings of the same samples, and espeak-ng speech (tests.support.speech).

Noise WAVs are a distinct recording per seed with no voice in it; what the Kintsugi
tests send when the voice threshold is off.
"""

from __future__ import annotations

import io

import numpy as np

from emulator.audio import Encoding
from emulator.audio.writer import encode_wav
from tests.support.speech import ESPEAK, make_speech


def silent_wav(seconds: float = 1.0, rate: int = 16000) -> bytes:
    """Digital silence as a 16-bit mono WAV of ``seconds``."""
    return encode_wav(np.zeros(int(seconds * rate)), rate)


def mel_npy(shape: tuple[int, ...] = (1, 64)) -> bytes:
    """A valid MELSPECTROGRAM chunk: a float32 ``.npy`` array of zeros (2-D by default)."""
    buffer = io.BytesIO()
    np.save(buffer, np.zeros(shape, dtype=np.float32))
    return buffer.getvalue()


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
