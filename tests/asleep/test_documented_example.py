"""Injecting the night behind the documented ``stat`` example reproduces it exactly.

asleep-api.md §3.7.1: 3600 s in bed, 120 epochs, first sleep at epoch 30, last at 71,
one 3-minute awakening, no snoring, no breathing plan (breath fields null).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.asleep.conftest import Api

DOCUMENTED_STAT = {
    "sleep_time": "2025-01-15T03:05:29+00:00",
    "wake_time": "2025-01-15T03:26:29+00:00",
    "sleep_index": 50,
    "sleep_latency": 900,
    "wakeup_latency": 1440,
    "light_latency": 0,
    "deep_latency": None,
    "rem_latency": None,
    "time_in_bed": 3600,
    "time_in_sleep_period": 1260,
    "time_in_sleep": 1080,
    "time_in_wake": 180,
    "time_in_light": 1080,
    "time_in_deep": 0,
    "time_in_rem": 0,
    "time_in_stable_breath": None,
    "time_in_unstable_breath": None,
    "time_in_snoring": 0,
    "time_in_no_snoring": 1260,
    "sleep_efficiency": 0.3,
    "sleep_ratio": 0.86,
    "wake_ratio": 0.14,
    "light_ratio": 0.86,
    "deep_ratio": 0.0,
    "rem_ratio": 0.0,
    "stable_breath_ratio": None,
    "unstable_breath_ratio": None,
    "snoring_ratio": 0.0,
    "no_snoring_ratio": 1.0,
    "breathing_index": None,
    "breathing_pattern": None,
    "waso_count": 1,
    "longest_waso": 180,
    "sleep_cycle_count": 0,
}
# 30 wake, 18 light, 6 wake (the one WASO), 18 light (last sleep at epoch 71), 48 wake.
STAGES = [0] * 30 + [1] * 18 + [0] * 6 + [1] * 18 + [0] * 48
START = "2025-01-15T02:50:29Z"  # the example's session start (sleep_time - 900 s)


@pytest.fixture
def api(make_api: Any) -> Api:
    found: Api = make_api(plans={"team-a": {"breathing": False}})
    return found


def _check(result: dict[str, Any]) -> None:
    stat = result["stat"]
    for key, value in DOCUMENTED_STAT.items():
        assert stat[key] == value, key
        assert type(stat[key]) is type(value), key
    assert result["session"]["sleep_stages"] == STAGES
    assert result["session"]["end_time"] == "2025-01-15T03:50:29+00:00"
    assert result["peculiarities"] == ["NO_BREATHING_STABILITY"]


def test_inject_before_close_without_uploads(api: Api) -> None:
    user = api.user()
    session = api.session(user, start_time=START)
    r = api.control("PUT", f"/sessions/{session}/hypnogram", {"sleep_stages": STAGES})
    assert r.status_code == 200
    assert api.close(user, session).status_code == 200
    _check(api.result(user, session))


def test_inject_after_a_recorded_night(api: Api) -> None:
    user = api.user()
    session = api.night(user, range(120), start_time=START)
    r = api.control("PUT", f"/sessions/{session}/hypnogram", {"sleep_stages": STAGES})
    assert r.json()["state"] == "COMPLETE"
    _check(api.result(user, session))


def test_inject_after_a_short_recording_sets_the_timeline(api: Api) -> None:
    user = api.user()
    session = api.night(user, range(5), start_time=START)
    api.control("PUT", f"/sessions/{session}/hypnogram", {"sleep_stages": STAGES})
    _check(api.result(user, session))


def test_injected_hypnogram_with_missing_epochs(api: Api) -> None:
    user = api.user()
    session = api.session(user, start_time=START)
    stages = STAGES[:100] + [-1] * 20
    api.control("PUT", f"/sessions/{session}/hypnogram", {"sleep_stages": stages})
    api.close(user, session)
    result = api.result(user, session)
    assert result["missing_data_ratio"] == 0.17
    assert result["session"]["sleep_stages"] == stages
    assert result["session"]["snoring_stages"][-20:] == [-1] * 20
    assert result["stat"]["time_in_bed"] == 3600
