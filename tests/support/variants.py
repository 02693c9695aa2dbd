"""Edits of a recording that nobody can hear, as WAV bytes: the inputs of the stability tests.

Issue 14 lists them: a gain change of up to +-2 dB, polarity inversion, 20 ms of
leading silence, resampling to 16 kHz, re-encoding as 24-bit PCM, and dither (TPDF,
+-1 LSB of 16-bit). A real voice model gives the same answer for all of them; so must
the emulator's predictions.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from emulator.audio.wav import Encoding
from emulator.audio.writer import encode_wav
from tests.support.speech import resample

Samples = NDArray[np.float64]
Variant = Callable[[Samples, int], bytes]


def gain(db: float) -> Variant:
    return lambda samples, rate: encode_wav(samples * 10 ** (db / 20), rate)


def inverted(samples: Samples, rate: int) -> bytes:
    return encode_wav(-samples, rate)


def leading_silence(seconds: float = 0.02) -> Variant:
    return lambda samples, rate: encode_wav(
        np.concatenate((np.zeros(round(seconds * rate)), samples)), rate
    )


def at_16k(samples: Samples, rate: int) -> bytes:
    return encode_wav(resample(samples, rate, 16000), 16000)


def pcm24(samples: Samples, rate: int) -> bytes:
    return encode_wav(samples, rate, Encoding.PCM_S24)


def dithered(seed: int = 0) -> Variant:
    def apply(samples: Samples, rate: int) -> bytes:
        rng = np.random.default_rng(seed)
        lsb = 1 / 32768
        tpdf = (rng.uniform(-0.5, 0.5, len(samples)) + rng.uniform(-0.5, 0.5, len(samples))) * lsb
        return encode_wav(samples + tpdf, rate)

    return apply


def original(samples: Samples, rate: int) -> bytes:
    return encode_wav(samples, rate)


VARIANTS: dict[str, Variant] = {
    "original": original,
    "gain_+2dB": gain(2.0),
    "gain_-2dB": gain(-2.0),
    "polarity": inverted,
    "leading_20ms": leading_silence(0.02),
    "resampled_16k": at_16k,
    "pcm24": pcm24,
    "dither": dithered(),
}
