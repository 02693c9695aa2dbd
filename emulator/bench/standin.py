"""Audio for a replay: the recorded bytes when they were kept, else a stand-in.

A stand-in has the recorded format (a WAV's sample rate, channels, sample encoding and
duration; an ``.npy`` file's dtype and shape) and, for a WAV, speech-like content
from ``emulator.audio.speech`` over its whole length, so a voice check sees voice
where the real recording most likely had some. Anything else (MP3, FLAC, unreadable
bytes) is replaced by as many zero bytes. A stand-in is made once per recorded
SHA-256 and reused, and depends only on the stub, so every replay sends the same
bytes.
"""

from __future__ import annotations

import base64
import io
from typing import Any

from emulator.audio import Encoding, decode_mono
from emulator.audio.speech import speech
from emulator.audio.writer import encode_wav


class StandIns:
    """Bytes for each audio stub of a recording."""

    def __init__(self) -> None:
        self._made: dict[str, bytes] = {}

    def __call__(self, stub: dict[str, Any]) -> bytes:
        if "base64" in stub:
            return base64.b64decode(stub["base64"])
        key = str(stub.get("sha256"))
        if key not in self._made:
            self._made[key] = make(stub)
        return self._made[key]


def make(stub: dict[str, Any]) -> bytes:
    """A stand-in for the recording ``stub`` describes."""
    if stub.get("container") == "wav" and stub.get("sample_rate") and stub.get("duration_seconds"):
        return _wav(stub)
    if stub.get("npy"):
        return _npy(stub["npy"])
    return bytes(int(stub.get("bytes") or 0))


def _wav(stub: dict[str, Any]) -> bytes:
    import numpy as np

    rate, seconds = int(stub["sample_rate"]), float(stub["duration_seconds"])
    frames = round(rate * seconds)
    # Sentences fill about 4/3 of the voice asked for (margin and pauses): ask 3/4.
    made = speech(max(0.75 * seconds, 0.5), rate=min(max(rate, 8000), 48000))
    samples = decode_mono(made.wav).astype(np.float64)
    if made.rate != rate:  # outside what the synthesiser makes: hold samples
        samples = samples[(np.arange(frames) * made.rate // rate).clip(0, len(samples) - 1)]
    samples = np.pad(samples[:frames], (0, max(0, frames - len(samples))))
    channels = int(stub.get("channels") or 1)
    if channels > 1:
        samples = np.repeat(samples[:, None], channels, axis=1)
    try:
        encoding = Encoding(stub.get("encoding") or Encoding.PCM_S16.value)
    except ValueError:
        encoding = Encoding.PCM_S16
    return encode_wav(samples, rate, encoding)


def _npy(spec: dict[str, Any]) -> bytes:
    import numpy as np

    shape = tuple(int(n) for n in spec.get("shape", ()))
    rng = np.random.default_rng(0)
    array = rng.standard_normal(shape).astype(np.dtype(spec.get("descr", "<f4")))
    out = io.BytesIO()
    np.save(out, array, allow_pickle=False)
    return out.getvalue()
