"""Browsing a tenant's Asleep world over the control API (emulator.asleep.browse)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.asleep.browse import STAT_UNITS
from emulator.asleep.documents import STAT_KEYS
from emulator.settings import Settings

KEY = "team-a"
H = {"x-api-key": KEY}
START = "2025-03-01T12:00:00Z"


@pytest.fixture(scope="module")
def demo() -> Iterator[TestClient]:
    app = create_app(Settings(seed=4, clock_start=START, clock_frozen=True))
    with TestClient(app) as client:
        client.post("/_emulator/demo", params={"api_key": KEY})
        yield client


def _users(client: TestClient, **params: Any) -> dict[str, Any]:
    found: dict[str, Any] = client.get("/_emulator/asleep/users", headers=H, params=params).json()
    return found


def test_users_in_creation_order_with_profile_sessions_and_last_session(
    demo: TestClient,
) -> None:
    page = _users(demo)
    assert page["total"] == len(page["users"]) == 6
    assert [u["profile"] for u in page["users"]] == [
        "good_sleeper", "insomnia", "severe_unstable_breathing", "heavy_snorer", "normal",
        "never_slept",
    ]  # fmt: skip
    first = page["users"][0]
    assert first["profile_source"] == "control"
    assert first["sessions"] == 28
    assert first["last_session"]["state"] == "COMPLETE"
    assert first["last_session"]["created_timezone"] == "Asia/Seoul"
    assert first["metadata"]["birth_year"] == 1991


def test_users_page_by_limit_and_offset(demo: TestClient) -> None:
    everyone = [u["user_id"] for u in _users(demo)["users"]]
    pages = [_users(demo, limit=4, offset=offset) for offset in (0, 4)]
    assert [u["user_id"] for p in pages for u in p["users"]] == everyone
    assert pages[1]["offset"] == 4
    assert pages[1]["limit"] == 4


def test_a_users_sessions_newest_first_in_the_requested_zone(demo: TestClient) -> None:
    user = _users(demo)["users"][0]["user_id"]
    path = f"/_emulator/asleep/users/{user}/sessions"
    page = demo.get(path, headers=H, params={"limit": 5, "timezone": "Asia/Seoul"}).json()
    assert page["total"] == 28
    assert page["timezone"] == "Asia/Seoul"
    starts = [s["start_time"] for s in page["sessions"]]
    assert starts == sorted(starts, reverse=True)
    assert all(s.endswith("+09:00") for s in starts)
    item = page["sessions"][0]
    assert item["peculiarities"] == []
    assert set(item["summary"]) >= {"time_in_sleep", "sleep_efficiency", "deep_ratio"}
    params: dict[str, str | int] = {"limit": 5, "offset": 5, "timezone": "Asia/Seoul"}
    older = demo.get(path, headers=H, params=params).json()
    assert older["sessions"][0]["start_time"] < page["sessions"][-1]["start_time"]


def test_one_session_with_arrays_stat_units_and_peculiarities(demo: TestClient) -> None:
    user = _users(demo)["users"][0]
    session_id = user["last_session"]["session_id"]
    night = demo.get(
        f"/_emulator/asleep/sessions/{session_id}", headers=H, params={"timezone": "Asia/Seoul"}
    ).json()
    v3 = demo.get(
        f"/data/v3/sessions/{session_id}",
        headers={**H, "x-user-id": user["user_id"], "timezone": "Asia/Seoul"},
    ).json()["result"]
    # The same night the Data API serves, with what the vendor does not say in one place.
    assert night["sleep_stages"] == v3["session"]["sleep_stages"]
    assert night["breath_stages"] == v3["session"]["breath_stages"]
    assert night["snoring_stages"] == v3["session"]["snoring_stages"]
    assert night["stat"] == v3["stat"]
    assert night["peculiarities"] == v3["peculiarities"] == []
    assert night["missing_data_ratio"] == v3["missing_data_ratio"]
    assert night["start_time"] == v3["session"]["start_time"]
    assert set(night["stat_units"]) == set(STAT_KEYS)
    assert night["stat_units"]["time_in_bed"] == "seconds"
    assert night["profile"] == "good_sleeper"
    assert night["epoch_seconds"] == 30
    assert night["four_stage"] is True
    # Rendered once, then served from the render cache.
    again = demo.get(
        f"/_emulator/asleep/sessions/{session_id}", headers=H, params={"timezone": "Asia/Seoul"}
    )
    assert again.json() == night


def test_missing_epochs_stay_minus_one(demo: TestClient) -> None:
    normal = _users(demo)["users"][4]["user_id"]
    sessions = demo.get(f"/_emulator/asleep/users/{normal}/sessions", headers=H).json()
    (gap,) = [s for s in sessions["sessions"] if s["missing_data_ratio"] > 0]
    night = demo.get(f"/_emulator/asleep/sessions/{gap['session_id']}", headers=H).json()
    assert -1 in night["sleep_stages"]
    assert night["missing_data_ratio"] == gap["missing_data_ratio"]


def test_a_two_stage_plan_is_what_the_plan_sees(tmp_path: Path) -> None:
    config = tmp_path / "tenants.json"
    config.write_text(json.dumps({"keys": {KEY: {"asleep_plan": {"four_stage": False}}}}))
    app = create_app(Settings(seed=4, clock_start=START, clock_frozen=True, config=str(config)))
    with TestClient(app) as client:
        user = client.post("/ai/v1/users", headers=H).json()["result"]["user_id"]
        session = client.post("/ai/v1/sessions", headers={**H, "x-user-id": user}, json={}).json()[
            "result"
        ]["session_id"]
        stages = [0] * 10 + [1] * 20 + [2] * 20 + [3] * 20 + [-1] * 5 + [0] * 5
        client.put(
            f"/_emulator/asleep/sessions/{session}/hypnogram",
            headers=H,
            json={"sleep_stages": stages},
        )
        client.post(f"/ai/v1/sessions/{session}/close", headers={**H, "x-user-id": user})
        night = client.get(f"/_emulator/asleep/sessions/{session}", headers=H).json()
    assert night["four_stage"] is False
    assert night["sleep_stages"] == [0] * 10 + [1] * 60 + [-1] * 5 + [0] * 5
    assert night["injected"] is True


def test_an_open_session_shows_its_analysis_so_far() -> None:
    app = create_app(Settings(seed=4, clock_start=START, clock_frozen=True))
    with TestClient(app) as client:
        user = client.post("/ai/v1/users", headers=H).json()["result"]["user_id"]
        session = client.post("/ai/v1/sessions", headers={**H, "x-user-id": user}, json={}).json()[
            "result"
        ]["session_id"]
        night = client.get(f"/_emulator/asleep/sessions/{session}", headers=H).json()
        listed = client.get(f"/_emulator/asleep/users/{user}/sessions", headers=H).json()
    assert night["state"] == "OPEN"
    assert night["sleep_stages"] is None
    assert night["stat"] is None
    assert night["peculiarities"] == ["IN_PROGRESS"]
    assert listed["sessions"][0]["summary"] is None


@pytest.mark.parametrize(
    ("path", "params", "status", "error"),
    [
        ("/_emulator/asleep/users", {"limit": "0"}, 400, "bad_request"),
        ("/_emulator/asleep/users", {"limit": "201"}, 400, "bad_request"),
        ("/_emulator/asleep/users", {"offset": "-1"}, 400, "bad_request"),
        ("/_emulator/asleep/users/nobody/sessions", {}, 404, "not_found"),
        ("/_emulator/asleep/sessions/nothing", {}, 404, "not_found"),
    ],
)
def test_bad_input_answers_in_control_shape(
    demo: TestClient, path: str, params: dict[str, str], status: int, error: str
) -> None:
    response = demo.get(path, headers=H, params=params)
    assert response.status_code == status
    assert response.json()["error"] == error
    assert response.json()["message"]


def test_a_bad_timezone_and_a_missing_key(demo: TestClient) -> None:
    user = _users(demo)["users"][0]
    session_id = user["last_session"]["session_id"]
    bad = demo.get(
        f"/_emulator/asleep/sessions/{session_id}", headers=H, params={"timezone": "Mars/Base"}
    )
    assert bad.status_code == 400
    assert bad.json()["error"] == "invalid_timezone"
    assert "Mars/Base" in bad.json()["message"]
    unauthorized = demo.get("/_emulator/asleep/users")
    assert unauthorized.status_code == 401
    assert unauthorized.json()["error"] == "unauthorized"


def test_every_stat_key_has_a_unit() -> None:
    assert set(STAT_UNITS) == set(STAT_KEYS)


def test_the_tenant_may_be_named_by_the_alias_but_not_twice_differently(demo: TestClient) -> None:
    by_alias = demo.get("/_emulator/asleep/users", params={"api_key": KEY})
    assert by_alias.json() == _users(demo)
    both = demo.get("/_emulator/asleep/users", headers=H, params={"api_key": "someone-else"})
    assert both.status_code == 400
    assert both.json()["error"] == "conflicting_api_key"
