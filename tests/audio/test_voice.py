"""`measure_voice` with the trained detector: real speech counts, the answer is the same on
every run and under inaudible edits, early stops are exact, and the work is capped.

Speech comes from espeak-ng (tests/support/speech.py); the music corpus is tested
through the HTTP API in tests/kintsugi/test_corpus.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from emulator.audio import measure_voice
from emulator.audio.synth import noise, speech_like
from emulator.audio.writer import encode_wav
from tests.support.speech import Speech
from tests.support.variants import VARIANTS

# Silero leaves out pauses inside sentences (commas), which the known spoken time counts.
TOLERANCE = 0.15


@pytest.mark.parametrize("rate", [8000, 16000, 22050, 44100, 48000])
def test_real_speech_is_counted_at_every_rate(speech: Speech, rate: int) -> None:
    report = measure_voice(speech.resampled(rate).wav())
    assert report.detector == "silero"
    assert report.complete
    assert report.seconds == pytest.approx(speech.voiced_seconds, rel=TOLERANCE)
    assert report.seconds <= speech.voiced_seconds + 1.0


def test_long_pauses_are_not_counted(paused_speech: Speech) -> None:
    clip = paused_speech.resampled(16000)
    assert clip.seconds - clip.voiced_seconds > 0.35 * clip.seconds
    assert measure_voice(clip.wav()).seconds == pytest.approx(clip.voiced_seconds, rel=TOLERANCE)


def test_the_same_bytes_give_the_same_answer(speech: Speech) -> None:
    data = speech.resampled(44100).wav()
    first = measure_voice(data)
    for _ in range(3):
        assert measure_voice(data) == first


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_inaudible_edits_barely_move_the_measure(speech: Speech, variant: str) -> None:
    clip = speech.peak(-6.0)
    base = measure_voice(VARIANTS["original"](clip.samples, clip.rate))
    edited = measure_voice(VARIANTS[variant](clip.samples, clip.rate))
    assert edited.seconds == pytest.approx(base.seconds, rel=0.03)
    assert base.profile is not None
    assert edited.profile is not None
    assert edited.profile.pitch_hz == pytest.approx(base.profile.pitch_hz, rel=0.01)
    assert edited.profile.pitch_range_st == pytest.approx(base.profile.pitch_range_st, abs=0.15)
    assert edited.profile.pause_ratio == pytest.approx(base.profile.pause_ratio, abs=0.02)


def test_leading_silence_and_gain_change_nothing_but_the_level(speech: Speech) -> None:
    clip = speech.peak(-6.0)
    base = measure_voice(encode_wav(clip.samples, clip.rate))
    shifted = np.concatenate([np.zeros(round(0.02 * clip.rate)), clip.samples])
    assert measure_voice(encode_wav(shifted, clip.rate)) == base
    quieter = measure_voice(encode_wav(clip.samples * 10 ** (-2 / 20), clip.rate))
    assert quieter.seconds == base.seconds
    assert quieter.profile is not None
    assert base.profile is not None
    assert quieter.profile.level_dbfs == pytest.approx(base.profile.level_dbfs - 2, abs=0.05)


def test_quiet_speech_is_heard(speech: Speech) -> None:
    loud = measure_voice(speech.wav())
    quiet = measure_voice(speech.peak(-40.0).wav())
    assert quiet.seconds == pytest.approx(loud.seconds, rel=0.1)


@pytest.mark.parametrize("stop_after", [5.0, 20.0, 30.0])
def test_early_stop_is_exact(speech: Speech, stop_after: float) -> None:
    data = speech.resampled(16000).wav()
    full = measure_voice(data)
    early = measure_voice(data, stop_after=stop_after)
    assert not early.complete
    # The count only grows, window by window: it stops at the first window that reaches it.
    assert stop_after <= early.seconds < stop_after + 0.033
    assert early.analysed_seconds < full.analysed_seconds


def test_an_unreachable_target_measures_everything() -> None:
    data = encode_wav(0.1 * noise(16000 * 20, np.random.default_rng(1), colour="pink"), 16000)
    report = measure_voice(data, stop_after=30.0)
    assert report.complete
    assert report.seconds < 1.0
    assert report.analysed_seconds == pytest.approx(20.0, abs=0.05)


def test_work_is_capped() -> None:
    data = encode_wav(speech_like(60.0, 16000, seed=7).samples, 16000)
    report = measure_voice(data, max_seconds=10.0)
    assert report.capped
    assert not report.complete
    assert report.analysed_seconds <= 10.0
    assert report.seconds < 10.0


def test_the_heuristic_detector_is_a_setting(speech: Speech) -> None:
    report = measure_voice(speech.resampled(16000).wav(), detector="heuristic")
    assert report.detector == "heuristic"
    assert report.seconds == pytest.approx(speech.voiced_seconds, rel=0.1)
    assert report.profile is not None


@pytest.mark.parametrize("frames", [0, 1, 100, 1000])
def test_tiny_and_silent_files_have_no_voice(frames: int) -> None:
    report = measure_voice(encode_wav(np.zeros(frames), 48000))
    assert report.seconds == 0.0
    assert report.profile is None


def test_rates_below_the_minimum_have_no_voice() -> None:
    assert measure_voice(encode_wav(speech_like(5.0, 1000, seed=1).samples, 1000)).seconds == 0.0


def test_the_report_is_json_ready(speech: Speech) -> None:
    shown = measure_voice(speech.wav(), stop_after=10.0).to_json()
    assert set(shown) == {
        "seconds",
        "complete",
        "capped",
        "analysed_seconds",
        "detector",
        "profile",
    }
    assert set(shown["profile"]) == {
        "voice_seconds",
        "pitch_hz",
        "pitch_range_st",
        "level_dbfs",
        "loudness_range_db",
        "speaking_rate_hz",
        "pause_ratio",
    }
