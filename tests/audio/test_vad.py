"""The heuristic voice-activity detector (``audio.vad = "heuristic"``): real speech counts,
noise, tones and silence do not.

Speech comes from espeak-ng (tests/support/speech.py; skipped if it is missing);
noise, tones and the speech-like signal come from emulator.audio.synth. The trained
default detector has its own tests (test_voice.py) and corpus (tests/kintsugi/test_corpus.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from emulator.audio import Problem, Verdict, check_voice, voice_activity, voice_seconds
from emulator.audio.synth import Colour, noise, speech_like, tone
from emulator.audio.writer import encode_wav
from tests.audio.conftest import SPEECH_RATES
from tests.support.speech import Speech

TOLERANCE = 0.1  # relative error allowed against the known spoken time


def check(data: bytes, **options: object) -> Verdict:
    return check_voice(data, detector="heuristic", **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("rate", SPEECH_RATES)
def test_real_speech_is_accepted_at_every_rate(
    speech: Speech, speech_files: dict[int, Path], rate: int
) -> None:
    assert speech.voiced_seconds > 35
    verdict = check(speech_files[rate].read_bytes(), early_stop=False)
    assert verdict.ok, verdict.reason
    assert verdict.info.sample_rate == rate
    assert verdict.voice_seconds == pytest.approx(speech.voiced_seconds, rel=TOLERANCE)


def test_twenty_seconds_of_speech_padded_to_a_minute_is_insufficient(speech: Speech) -> None:
    clip = speech.first(20.0).padded(60.0).resampled(16000)
    assert clip.seconds == pytest.approx(60.0)
    assert 20 <= clip.voiced_seconds < 26
    verdict = check(clip.wav())
    assert verdict.problem == Problem.TOO_LITTLE_VOICE
    assert verdict.voice_seconds == pytest.approx(clip.voiced_seconds, rel=TOLERANCE)


def test_long_pauses_are_not_counted(paused_speech: Speech) -> None:
    clip = paused_speech.resampled(16000)
    assert clip.seconds - clip.voiced_seconds > 0.35 * clip.seconds  # over a third is pause
    assert voice_seconds(clip.wav()) == pytest.approx(clip.voiced_seconds, rel=TOLERANCE)


@pytest.mark.parametrize("colour", ["white", "pink", "brown"])
def test_speech_in_background_noise_at_10_db_snr_is_accepted(
    speech: Speech, colour: Colour
) -> None:
    clip = speech.with_noise(10.0, colour, seed=4).resampled(16000)
    verdict = check(clip.wav(), early_stop=False)
    assert verdict.ok, verdict.reason
    assert verdict.voice_seconds == pytest.approx(clip.voiced_seconds, rel=TOLERANCE)


def test_stereo_speech_is_measured_on_the_channel_average(speech: Speech) -> None:
    clip = speech.resampled(16000)
    stereo = np.stack([clip.samples, 0.5 * clip.samples], axis=1)
    data = encode_wav(stereo, 16000)
    assert voice_seconds(data) == pytest.approx(clip.voiced_seconds, rel=TOLERANCE)
    assert check(data).problem == Problem.TOO_MANY_CHANNELS


def test_early_stop_is_exact_for_the_frames_it_decided(speech: Speech) -> None:
    data = speech.resampled(16000).wav()
    full = voice_activity(data)
    early = voice_activity(data, stop_after=10.0)
    assert full.complete
    assert not early.complete
    assert 10.0 <= early.seconds <= full.seconds
    np.testing.assert_array_equal(early.mask, full.mask[: len(early.mask)])


def sixty_seconds(kind: str, rate: int = 16000) -> np.ndarray:
    rng = np.random.default_rng(11)
    length = 60 * rate
    signals = {
        "silence": np.zeros(length),
        "quiet white noise": 0.003 * noise(length, rng),
        "white noise": 0.2 * noise(length, rng),
        "pink noise": 0.2 * noise(length, rng, colour="pink"),
        "brown noise": 0.2 * noise(length, rng, colour="brown"),
        "440 Hz tone": tone(60.0, rate, 440.0),
        "1 kHz tone": tone(60.0, rate, 1000.0),
        "harmonic 150 Hz tone": sum(
            tone(60.0, rate, 150.0 * k, amplitude=0.2 / k) for k in (1, 2, 3)
        ),
        "tone in noise": tone(60.0, rate, 220.0) + 0.02 * noise(length, rng),
    }
    return np.clip(signals[kind], -1, 1)


@pytest.mark.parametrize(
    "kind",
    [
        "silence",
        "quiet white noise",
        "white noise",
        "pink noise",
        "brown noise",
        "440 Hz tone",
        "1 kHz tone",
        "harmonic 150 Hz tone",
        "tone in noise",
    ],
)
def test_a_minute_without_voice_is_rejected(kind: str) -> None:
    verdict = check(encode_wav(sixty_seconds(kind), 16000), early_stop=False)
    assert verdict.problem == Problem.TOO_LITTLE_VOICE
    assert verdict.voice_seconds is not None
    assert verdict.voice_seconds < 1.0


@pytest.mark.parametrize("rate", [8000, 44100])
def test_noise_is_rejected_at_other_rates(rate: int) -> None:
    data = encode_wav(sixty_seconds("pink noise", rate), rate)
    assert voice_seconds(data) < 1.0


def test_speech_like_signal_is_measured_close_to_its_voiced_time() -> None:
    signal = speech_like(90.0, 44100, seed=3)
    measured = voice_seconds(encode_wav(signal.samples, 44100))
    assert measured == pytest.approx(signal.voiced_seconds, rel=TOLERANCE)


@pytest.mark.parametrize("stop_after", [5.0, 20.0, 45.0])
def test_early_stop_agrees_with_the_full_measure(stop_after: float) -> None:
    data = encode_wav(speech_like(90.0, 16000, seed=6).samples, 16000)
    full = voice_activity(data)
    early = voice_activity(data, stop_after=stop_after)
    assert early.seconds <= full.seconds
    assert (early.seconds >= stop_after) is (full.seconds >= stop_after)
    np.testing.assert_array_equal(early.mask, full.mask[: len(early.mask)])


def test_early_stop_that_cannot_be_reached_measures_everything() -> None:
    data = encode_wav(sixty_seconds("pink noise"), 16000)
    result = voice_activity(data, stop_after=30.0)
    assert result.complete
    assert len(result.mask) == 1500  # 60 s of 40 ms frames


def test_rates_below_the_detector_minimum_have_no_voice() -> None:
    signal = speech_like(40.0, 1000, seed=1)
    assert voice_seconds(encode_wav(signal.samples, 1000)) == 0.0


@pytest.mark.parametrize("frames", [0, 1, 100, 1000])
def test_tiny_files_have_no_voice(frames: int) -> None:
    assert voice_seconds(encode_wav(np.zeros(frames), 48000)) == 0.0
