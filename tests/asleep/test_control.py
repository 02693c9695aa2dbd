"""The emulator's Asleep controls and the scenario list."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.asleep.profiles import Profile
from tests.asleep.conftest import Api


def test_profile_get_set_reset(api: Api) -> None:
    user = api.user()
    r = api.control("GET", f"/users/{user}/profile")
    assert r.status_code == 200
    assert r.json()["source"] == "default"
    assert r.json()["profile"] in {"normal", "good_sleeper"}
    r = api.control("PUT", f"/users/{user}/profile", {"profile": "insomnia"})
    assert r.json() == {"user_id": user, "profile": "insomnia", "source": "control"}
    r = api.control("PUT", f"/users/{user}/profile", {"profile": None})
    assert r.json()["source"] == "default"


def test_profile_errors(api: Api) -> None:
    user = api.user()
    r = api.control("PUT", f"/users/{user}/profile", {"profile": "sleepy"})
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_profile"
    r = api.control("PUT", "/users/G-nobody/profile", {"profile": "normal"})
    assert r.status_code == 404
    r = api.client.put(f"/_emulator/asleep/users/{user}/profile", json={"profile": "normal"})
    assert r.status_code == 401


def test_profiles_are_per_api_key(make_api: Any) -> None:
    a = make_api(key="a")
    user = a.user()
    b = Api(a.client, "b")
    assert b.control("GET", f"/users/{user}/profile").status_code == 404


def test_insomnia_sleeps_worse_than_good_sleeper(api: Api) -> None:
    good, bad = api.user(), api.user()
    api.control("PUT", f"/users/{good}/profile", {"profile": "good_sleeper"})
    api.control("PUT", f"/users/{bad}/profile", {"profile": "insomnia"})
    good_stat = api.result(good, api.night(good, range(400)))["stat"]
    bad_stat = api.result(bad, api.night(bad, range(400)))["stat"]
    assert good_stat["sleep_latency"] < bad_stat["sleep_latency"]
    assert good_stat["sleep_efficiency"] > bad_stat["sleep_efficiency"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"sleep_stages": "0,1"},
        {"sleep_stages": [0, 4]},
        {"sleep_stages": [0, 1], "breath_stages": [0]},
        {"sleep_stages": [0, 1], "snoring_stages": [0, 2]},
        {"sleep_stages": [True, 1]},
    ],
)
def test_hypnogram_validation(api: Api, body: dict[str, Any]) -> None:
    user = api.user()
    session = api.session(user)
    r = api.control("PUT", f"/sessions/{session}/hypnogram", body)
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_hypnogram"


def test_hypnogram_unknown_session_and_delete(api: Api) -> None:
    r = api.control("PUT", "/sessions/20250101000000_abcde/hypnogram", {"sleep_stages": [0]})
    assert r.status_code == 404
    user = api.user()
    session = api.session(user)
    api.control("PUT", f"/sessions/{session}/hypnogram", {"sleep_stages": [0] * 50})
    assert api.control("DELETE", f"/sessions/{session}/hypnogram").status_code == 204
    api.uploads(user, session, range(45))
    api.close(user, session)
    assert len(api.result(user, session)["session"]["sleep_stages"]) == 45


def test_injected_breath_and_snoring(api: Api) -> None:
    user = api.user()
    session = api.session(user)
    sleep = [0] * 10 + [1, 2, 3, 1] * 10 + [0] * 10
    snoring = [0] * 10 + [1] * 40 + [0] * 10
    breath = [0] * 10 + [1, 0] * 20 + [0] * 10
    body = {"sleep_stages": sleep, "snoring_stages": snoring, "breath_stages": breath}
    api.control("PUT", f"/sessions/{session}/hypnogram", body)
    api.close(user, session)
    result = api.result(user, session)
    assert result["session"]["snoring_stages"] == snoring
    assert result["session"]["breath_stages"] == breath
    assert result["stat"]["time_in_snoring"] == 1200
    assert result["stat"]["snoring_count"] == 1
    assert result["stat"]["unstable_breath_count"] == 20


def test_realtime_view_of_an_injected_hypnogram(api: Api) -> None:
    user = api.user()
    session = api.session(user)
    stages = [0] * 5 + [1] * 55
    api.control("PUT", f"/sessions/{session}/hypnogram", {"sleep_stages": stages})
    api.uploads(user, session, range(45))
    assert api.result(user, session)["session"]["sleep_stages"] == stages[:40]


def test_scenarios_list_everything(api: Api) -> None:
    r = api.client.get("/_emulator/scenarios")
    mine = [s for s in r.json()["scenarios"] if s["api"] == "asleep"]
    names = {s["name"] for s in mine}
    assert {f"asleep-profile-{p.value}" for p in Profile} <= names
    assert {"asleep-service-profile", "asleep-hypnogram", "asleep-complete"} <= names
    for scenario in mine:
        assert scenario["kind"] in {"control", "magic-input"}
        assert scenario["description"]
        assert scenario["example"]
