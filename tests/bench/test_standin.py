"""Stand-ins for redacted audio keep the recorded format and are voice where a WAV was."""

from __future__ import annotations

import io

import numpy as np

from emulator.audio import check_voice, inspect_audio
from emulator.audio.speech import speech_wav
from emulator.audio.writer import encode_wav
from emulator.bench.redact import Redactor
from emulator.bench.standin import StandIns, make


def test_a_wav_stand_in_has_the_recorded_format_and_voice() -> None:
    original = speech_wav(35, rate=22050)
    stub = Redactor().audio_stub(original, "audio/wav", "v.wav")
    made = make(stub)
    info = inspect_audio(made)
    assert (info.sample_rate, info.channels, info.frames) == (
        22050,
        1,
        inspect_audio(original).frames,
    )
    assert check_voice(made, min_sample_rate=8000, max_channels=1, min_voice_seconds=30).ok


def test_stereo_24_bit() -> None:
    samples = np.zeros((8000, 2))
    from emulator.audio import Encoding

    stub = Redactor().audio_stub(encode_wav(samples, 8000, Encoding.PCM_S24), None, "x.wav")
    info = inspect_audio(make(stub))
    assert (info.channels, info.bits_per_sample, info.frames) == (2, 24, 8000)


def test_npy_and_unknown_bytes() -> None:
    array = np.ones((2, 40), np.float32)
    out = io.BytesIO()
    np.save(out, array)
    stub = Redactor().audio_stub(out.getvalue(), "application/octet-stream", "m.npy")
    made = np.load(io.BytesIO(make(stub)))
    assert (made.shape, made.dtype) == ((2, 40), np.float32)
    assert make({"container": "mp3", "bytes": 7}) == bytes(7)


def test_kept_audio_comes_back_and_stand_ins_are_made_once() -> None:
    kept = Redactor(keep_audio=True).audio_stub(b"RIFFxxxx", None, "a.wav")
    stand_ins = StandIns()
    assert stand_ins(kept) == b"RIFFxxxx"
    stub = Redactor().audio_stub(speech_wav(1), None, "a.wav")
    assert stand_ins(stub) is stand_ins(stub)
