"""Voice measures: pitch per frame, and the profile of a run of frames."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.audio.features import BRIDGE_SECONDS, pitch_track, profile

RATE = 8000
STEP = 0.032


def frames_of(signal: np.ndarray, length: int = 256) -> np.ndarray:
    count = len(signal) // length
    return signal[: count * length].reshape(count, length).astype(np.float32)


def harmonic(freq: float, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return sum(np.sin(2 * np.pi * freq * k * t) / k for k in range(1, 6))  # type: ignore[return-value]


@given(st.floats(60.0, 400.0))
@settings(max_examples=40, deadline=None)
def test_pitch_of_a_harmonic_tone(freq: float) -> None:
    hz, strength = pitch_track(frames_of(harmonic(freq)), RATE)
    assert np.all(strength > 0.8)
    assert np.median(hz) == pytest.approx(freq, rel=0.01)


def test_noise_and_silence_are_unpitched() -> None:
    rng = np.random.default_rng(0)
    hz, _ = pitch_track(frames_of(rng.standard_normal(RATE)), RATE)
    assert np.mean(hz == 0) > 0.9
    hz, strength = pitch_track(frames_of(np.zeros(RATE)), RATE)
    assert np.all(hz == 0)
    assert np.all(strength == 0)


def test_no_frames_no_pitch() -> None:
    hz, strength = pitch_track(np.zeros((0, 256), np.float32), RATE)
    assert hz.shape == strength.shape == (0,)


def _mask(*stretches: tuple[int, int], length: int) -> np.ndarray:
    voiced = np.zeros(length, bool)
    for start, end in stretches:
        voiced[start:end] = True
    return voiced


def test_the_profile_of_known_frames() -> None:
    length = 400
    voiced = _mask((20, 170), (200, 380), length=length)  # a 30-frame pause (0.96 s)
    level = np.full(length, -30.0)
    level[::2] = -24.0  # loudness swinging every other frame
    pitch = np.where(voiced, 100.0, 0.0)
    pitch[voiced.nonzero()[0][::2]] = 200.0  # half the frames an octave up
    found = profile(level, pitch, voiced, STEP)
    assert found is not None
    assert found.voice_seconds == pytest.approx(330 * STEP)
    assert found.pitch_hz == pytest.approx(150.0)
    assert found.pitch_range_st == pytest.approx(12.0)
    assert found.level_dbfs == pytest.approx(-27.0)
    assert found.loudness_range_db == pytest.approx(3.0)
    bridge = round(BRIDGE_SECONDS / STEP)
    assert found.pause_ratio == pytest.approx((30 - bridge) / 360)
    # Rice's formula on a swing every other frame: rms(diff) / rms = 2, / (2 pi x 32 ms).
    assert found.speaking_rate_hz == pytest.approx(2 / (2 * np.pi * STEP), rel=0.01)


def test_speaking_rate_follows_the_loudness_modulation() -> None:
    length = 1000
    voiced = np.ones(length, bool)
    t = np.arange(length) * STEP
    rates = []
    for freq in (3.0, 4.0, 5.0, 6.0):
        level = 20 * np.log10(0.1 * (1.2 + np.sin(2 * np.pi * freq * t)))
        found = profile(level, np.full(length, 120.0), voiced, STEP)
        assert found is not None
        rates.append(found.speaking_rate_hz)
    assert rates == sorted(rates)
    assert rates[0] == pytest.approx(3.0, rel=0.1)
    assert rates[-1] == pytest.approx(6.0, rel=0.15)


def test_short_gaps_are_not_pauses_and_long_ones_count_softly() -> None:
    length = 300
    level, pitch = np.full(length, -30.0), np.full(length, 120.0)
    short = _mask((0, 100), (105, 300), length=length)
    found = profile(level, pitch, short, STEP)
    assert found is not None
    assert found.pause_ratio == 0.0
    bridge = round(BRIDGE_SECONDS / STEP)
    just_over = _mask((0, 100), (101 + bridge, 300), length=length)
    found = profile(level, pitch, just_over, STEP)
    assert found is not None
    assert found.pause_ratio == pytest.approx(1 / 300)


def test_too_little_voice_or_pitch_gives_no_profile() -> None:
    length = 100
    level = np.full(length, -30.0)
    assert profile(level, np.full(length, 120.0), _mask((0, 10), length=length), STEP) is None
    assert profile(level, np.zeros(length), np.ones(length, bool), STEP) is None


def test_the_profile_is_json_ready() -> None:
    found = profile(np.full(50, -20.0), np.full(50, 123.4567), np.ones(50, bool), STEP)
    assert found is not None
    assert found.to_json()["pitch_hz"] == 123.457
