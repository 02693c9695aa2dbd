"""Demo data (emulator.control.demo): --demo at start-up, POST /_emulator/demo, determinism."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.asleep import demo as asleep_demo
from emulator.asleep.demo import SLEEPERS
from emulator.asleep.profiles import Profile
from emulator.control.demo import DEMO_API_KEY, load_demo
from emulator.core.secrets import mask
from emulator.kintsugi.demo import PATIENTS
from emulator.settings import Settings

START = "2025-03-01T12:00:00Z"


def _settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {"seed": 4, "clock_start": START, "clock_frozen": True}
    return Settings(**{**values, **overrides})


def _asleep_users(client: TestClient, key: str = DEMO_API_KEY) -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = client.post("/_emulator/demo", params={"api_key": key}).json()[
        "asleep"
    ]["users"]
    return loaded


def test_demo_flag_loads_data_that_every_read_endpoint_shows() -> None:
    with TestClient(create_app(_settings(demo=True))) as client:
        state = client.get("/_emulator/state", params={"api_key": DEMO_API_KEY}).json()
        users = state["tenants"][DEMO_API_KEY]["asleep.users"]
        assert len(users) == len(SLEEPERS)
        h = {"x-api-key": DEMO_API_KEY}
        for user_id, sleeper in zip(users, SLEEPERS, strict=True):
            listed = client.get(
                "/data/v1/sessions",
                headers={**h, "x-user-id": user_id},
                params={"limit": 100, "order_by": "ASC"},
            ).json()["result"]["sleep_session_list"]
            assert len(listed) == sleeper.sessions
            assert sleeper.nights >= 7
            assert {s["state"] for s in listed} == {"COMPLETE"}
            assert {s["created_timezone"] for s in listed} == {sleeper.zone}
            # A night's end is start + its uploaded chunks: the last chunk arrived.
            assert all(s["last_received_seq_num"] + 1 == s["time_in_bed"] // 30 for s in listed)
            stats = client.get(
                f"/data/v1/users/{user_id}/average-stats",
                headers={**h, "timezone": sleeper.zone},
                params={"start_date": "2025-01-01", "end_date": "2025-03-01"},
            ).json()["result"]
            one = client.get(
                f"/data/v3/sessions/{listed[-1]['session_id']}",
                headers={**h, "x-user-id": user_id},
            ).json()["result"]
            if sleeper.profile is Profile.NEVER_SLEPT:
                assert stats["average_stats"] is None
                assert len(stats["never_slept_sessions"]) == sleeper.nights
                assert one["peculiarities"] == ["NEVER_SLEPT"]
            else:
                assert stats["average_stats"] is not None
                assert len(stats["slept_sessions"]) == sleeper.nights
                assert one["peculiarities"] == []
                assert one["stat"]["time_in_sleep"] > 0
            profile = client.get(f"/_emulator/asleep/users/{user_id}/profile", headers=h).json()
            assert profile == {"user_id": user_id, "profile": sleeper.profile.value,
                               "source": "control"}  # fmt: skip
        for patient in PATIENTS:
            records = client.get(f"/v2/predict/users/{patient.user_id}", headers=h).json()
            assert len(records) == patient.predictions
            with_feedback = [r for r in records if "actual_score" in r]
            assert len(with_feedback) == sum(1 for step in patient.steps if step.feedback)
        records = [
            r
            for p in PATIENTS
            for r in client.get(f"/v2/predict/users/{p.user_id}", headers=h).json()
        ]
        failed = sorted(r["predict_error"]["error"] for r in records if r["status"] == "failed")
        assert failed == ["insufficient_audio_length", "unstandard_audio", "unsupported_audio_spec"]


def test_the_ordinary_sleeper_has_a_gap_night_and_a_nap_too_short_to_analyse() -> None:
    with TestClient(create_app(_settings(demo=True))) as client:
        h = {"x-api-key": DEMO_API_KEY}
        users = client.get("/_emulator/asleep/users", headers=h).json()["users"]
        (normal,) = [u for u in users if u["profile"] == "normal"]
        sessions = client.get(
            f"/_emulator/asleep/users/{normal['user_id']}/sessions", headers=h
        ).json()["sessions"]
        short = [s for s in sessions if "TOO_SHORT_FOR_ANALYSIS" in s["peculiarities"]]
        assert len(short) == 1
        assert short[0]["time_in_bed"] == 12 * 60
        (gap,) = [s for s in sessions if s["missing_data_ratio"] > 0]
        night = client.get(f"/_emulator/asleep/sessions/{gap['session_id']}", headers=h).json()
        start, end = asleep_demo.GAP_EPOCHS
        assert set(night["sleep_stages"][start:end]) == {-1}
        assert -1 not in night["sleep_stages"][:start] + night["sleep_stages"][end:]


def test_the_webhook_history_shows_retries_and_a_receiver_that_stayed_down() -> None:
    with TestClient(create_app(_settings(demo=True))) as client:
        log = client.get("/_emulator/callbacks", params={"api_key": DEMO_API_KEY}).json()
    deliveries = log["callbacks"]
    assert len(deliveries) == len(SLEEPERS) * asleep_demo.WEBHOOK_NIGHTS
    assert {d["event"] for d in deliveries} == {"SESSION_COMPLETE"}
    assert log["summary"]["delivered"] == len(deliveries) - 1
    (failed,) = [d for d in deliveries if d["status"] == "failed"]
    assert failed["attempt_count"] == 5
    assert failed["url"].endswith("/_emulator/demo/receiver?status=503")
    retried = [d for d in deliveries if d["status"] == "delivered" and d["attempt_count"] == 2]
    assert retried
    assert all(d["attempts"][0]["status"] == 503 for d in retried)
    assert all(d["body"]["data"]["session"]["id"] == d["session_id"] for d in deliveries)


def test_kintsugi_sessions_show_every_status_and_label() -> None:
    with TestClient(create_app(_settings(demo=True))) as client:
        sessions = client.get(
            "/_emulator/kintsugi/sessions", headers={"x-api-key": DEMO_API_KEY}
        ).json()["sessions"]
    assert {s["status"] for s in sessions} == {
        "initiated", "no_consent", "processing", "success", "failed",
    }  # fmt: skip
    labels = {
        label
        for s in sessions
        if s["prediction"] is not None
        for label in s["prediction"]["scores"].values()
    }
    assert {
        "no_to_mild", "mild_to_moderate", "moderate_to_severe", "false", "true",
        "additional_consideration_required", "no_or_minimal", "mild", "moderate", "severe",
    } <= labels  # fmt: skip
    assert all(s["prediction"]["audio"] for s in sessions if s["prediction"] is not None)
    assert {s["api_version"] for s in sessions} == {1, 2}


def test_profiles_show_in_the_numbers() -> None:
    with TestClient(create_app(_settings(demo=True))) as client:
        state = client.get("/_emulator/state", params={"api_key": DEMO_API_KEY}).json()
        users = list(state["tenants"][DEMO_API_KEY]["asleep.users"])
        h = {"x-api-key": DEMO_API_KEY}
        averages = {
            sleeper.profile.value: client.get(
                f"/data/v1/users/{user_id}/average-stats",
                headers=h,
                params={"start_date": "2025-01-01", "end_date": "2025-03-01"},
            ).json()["result"]["average_stats"]
            for user_id, sleeper in zip(users, SLEEPERS, strict=True)
        }
    assert averages["good_sleeper"]["sleep_efficiency"] > averages["insomnia"]["sleep_efficiency"]
    assert averages["severe_unstable_breathing"]["breathing_pattern"] in (
        "MODERATELY_UNSTABLE_BREATH",
        "SEVERELY_UNSTABLE_BREATH",
    )
    assert averages["heavy_snorer"]["snoring_ratio"] > averages["good_sleeper"]["snoring_ratio"]


def test_same_seed_and_clock_same_data() -> None:
    bodies = []
    for _ in range(2):
        with TestClient(create_app(_settings())) as client:
            summary = client.post("/_emulator/demo").json()
            summary.pop("seconds")
            state = client.get("/_emulator/state", params={"api_key": DEMO_API_KEY}).json()
            bodies.append((summary, state))
    assert bodies[0] == bodies[1]
    with TestClient(create_app(_settings(seed=5))) as client:
        other = client.post("/_emulator/demo").json()
    assert other["asleep"]["users"][0]["user_id"] != bodies[0][0]["asleep"]["users"][0]["user_id"]


def test_post_demo_replaces_only_that_key() -> None:
    with TestClient(create_app(_settings())) as client:
        h = {"x-api-key": "mine"}
        own = client.post("/ai/v1/users", headers=h).json()["result"]["user_id"]
        users = _asleep_users(client, "mine")
        assert client.get(f"/ai/v1/users/{own}", headers=h).status_code == 404
        assert client.get(f"/ai/v1/users/{users[0]['user_id']}", headers=h).status_code == 200
        assert client.get("/_emulator/state").json()["tenants"].keys() == {"mine"}
        again = _asleep_users(client, "mine")
        assert again == users  # reloading gives the same world again
        assert client.post("/_emulator/demo", params={"api_key": ""}).status_code == 400


def test_a_key_outside_the_config_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "tenants.json"
    config.write_text(json.dumps({"keys": {"demo-key": {}}}))
    settings = _settings(config=str(config), control_token="op-token")
    with TestClient(create_app(settings)) as client:
        client.headers["Authorization"] = "Bearer op-token"
        assert client.post("/_emulator/demo").status_code == 200
        refused = client.post("/_emulator/demo", params={"api_key": "stranger"})
        assert refused.status_code == 400
        assert refused.json()["error"] == "bad_request"
        # The tenant itself may load its own demo data, and nobody else's.
        del client.headers["Authorization"]
        own = client.post("/_emulator/demo", headers={"x-api-key": "demo-key"})
        assert own.status_code == 200
        assert own.json()["api_key"] == mask("demo-key")
        other = client.post(
            "/_emulator/demo", params={"api_key": "stranger"}, headers={"x-api-key": "demo-key"}
        )
        assert other.status_code == 403


def test_a_state_file_keeps_what_was_changed(tmp_path: Path) -> None:
    state_file = str(tmp_path / "state.db")
    with TestClient(create_app(_settings(demo=True, state_file=state_file))) as client:
        user_id = next(
            iter(
                client.get("/_emulator/state", params={"api_key": DEMO_API_KEY}).json()["tenants"][
                    DEMO_API_KEY
                ]["asleep.users"]
            )
        )
        h = {"x-api-key": DEMO_API_KEY}
        assert client.delete(f"/ai/v1/users/{user_id}", headers=h).status_code == 204
    # Restarted with --demo again: the demo key has state, so it is not overwritten.
    with TestClient(create_app(_settings(demo=True, state_file=state_file))) as client:
        assert client.get(f"/ai/v1/users/{user_id}", headers=h).status_code == 404
        users = client.get("/_emulator/state", params={"api_key": DEMO_API_KEY}).json()
        assert len(users["tenants"][DEMO_API_KEY]["asleep.users"]) == len(SLEEPERS) - 1


def test_loading_is_quick() -> None:
    app = create_app(_settings())
    started = time.perf_counter()
    summary = load_demo(app.state.runtime)
    elapsed = time.perf_counter() - started
    nights = sum(u["sessions"] for u in summary["asleep"]["users"])
    assert nights == sum(s.sessions for s in SLEEPERS) == 92
    # No bound on the time here (machines vary): the figure is printed, and measured in
    # docs/demo-data.md.
    print(f"\n[demo] loaded in {elapsed:.2f} s")


@pytest.mark.parametrize("clock", ["2025-03-01T03:00:00Z", "2025-03-01T23:30:00Z"])
def test_every_night_is_over_before_now(clock: str) -> None:
    app = create_app(Settings(seed=1, clock_start=clock, clock_frozen=True))
    with TestClient(app) as client:
        client.post("/_emulator/demo")
        state = client.get("/_emulator/state", params={"api_key": DEMO_API_KEY}).json()
    now = app.state.runtime.clock.timestamp()
    sessions = state["tenants"][DEMO_API_KEY]["asleep.sessions"].values()
    assert sessions
    assert all(s["end_time"] + 3600 <= now for s in sessions)
    assert all(s["complete_time"] <= now for s in sessions)
