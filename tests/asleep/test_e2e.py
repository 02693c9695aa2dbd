"""End to end over real HTTP: record a full 8-hour night, close it, read it back.

960 MELSPECTROGRAM uploads (8 h x 2 per minute) against a live uvicorn server; the
timeline comes from the audio, so the whole night takes seconds. Run with ``-s`` to
see the timings.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import httpx
import pytest
from pysleep import SleepStageCalculator

from emulator.testing import EmulatorServer
from tests.asleep.conftest import KEY, MEL, settings_for
from tests.asleep.test_data_api import assert_stat_types

pytestmark = pytest.mark.e2e

EPOCHS = 960


def _pysleep_equal(stat: dict[str, Any], stages: list[int], start: str, end: str) -> None:
    ref = SleepStageCalculator().calculate(
        stages, datetime.fromisoformat(start), datetime.fromisoformat(end)
    )
    seconds = (
        "sleep_latency",
        "wakeup_latency",
        "light_latency",
        "deep_latency",
        "rem_latency",
        "time_in_bed",
        "time_in_sleep_period",
        "time_in_sleep",
        "time_in_wake",
        "time_in_light",
        "time_in_deep",
        "time_in_rem",
        "longest_waso",
    )
    for key in seconds:
        value = getattr(ref, key)
        assert stat[key] == (None if value is None else int(value.total_seconds())), key
    ratios = ("sleep_efficiency", "sleep_ratio", "wake_ratio", "light_ratio", "deep_ratio")
    for key in (*ratios, "rem_ratio", "waso_count", "sleep_cycle_count"):
        assert stat[key] == getattr(ref, key), key
    for key in ("sleep_time", "wake_time"):
        assert datetime.fromisoformat(stat[key]) == getattr(ref, key), key
    cycle = ref.sleep_cycle
    assert stat["sleep_cycle"] == (None if cycle is None else int(cycle.total_seconds() + 0.5))
    assert [datetime.fromisoformat(t) for t in stat["sleep_cycle_time"]] == list(
        ref.sleep_cycle_time
    )


def test_full_night_over_http() -> None:
    with EmulatorServer(settings_for()) as server, httpx.Client(base_url=server.base_url) as http:
        headers = {"x-api-key": KEY}
        user = http.post("/ai/v1/users", headers=headers).json()["result"]["user_id"]
        headers["x-user-id"] = user
        r = http.post(
            "/ai/v1/sessions",
            headers={**headers, "timezone": "Asia/Seoul"},
            json={"start_time": "2025-01-14T22:00:00Z"},
        )
        assert r.status_code == 201
        session = r.json()["result"]["session_id"]

        started = time.perf_counter()
        for seq in range(EPOCHS):
            r = http.post(
                f"/ai/v1/sessions/{session}/upload",
                headers=headers,
                data={"seq_num": str(seq)},
                files={"file": ("mel.npy", MEL, "application/octet-stream")},
            )
            assert r.status_code == 200, r.text
        upload_seconds = time.perf_counter() - started
        assert http.post(f"/ai/v1/sessions/{session}/close", headers=headers).status_code == 200
        recorded = time.perf_counter() - started

        first_started = time.perf_counter()
        r = http.get(f"/data/v3/sessions/{session}", headers=headers)
        first_ms = (time.perf_counter() - first_started) * 1000
        assert r.status_code == 200
        reads = 50
        cached_started = time.perf_counter()
        for _ in range(reads):
            assert http.get(f"/data/v3/sessions/{session}", headers=headers).content == r.content
        cached_ms = (time.perf_counter() - cached_started) * 1000 / reads

        print(
            f"\n[asleep e2e] {EPOCHS} uploads in {upload_seconds:.2f} s "
            f"({upload_seconds / EPOCHS * 1000:.2f} ms each); night recorded and closed in "
            f"{recorded:.2f} s; first GET {first_ms:.1f} ms, cached GET {cached_ms:.2f} ms "
            f"({len(r.content)} bytes)"
        )

        result = r.json()["result"]
        s = result["session"]
        assert s["state"] == "COMPLETE"
        assert s["created_timezone"] == "Asia/Seoul"
        assert (s["start_time"], s["end_time"]) == (
            "2025-01-14T22:00:00+00:00",
            "2025-01-15T06:00:00+00:00",
        )
        assert len(s["sleep_stages"]) == len(s["breath_stages"]) == len(s["snoring_stages"]) == 960
        assert result["peculiarities"] == []
        assert result["missing_data_ratio"] == 0.0
        stat = result["stat"]
        assert_stat_types(stat)
        for key in ("sleep_time", "sleep_index", "light_latency", "time_in_light", "sleep_cycle"):
            assert stat[key] is not None, key
        assert stat["time_in_bed"] == 8 * 3600
        _pysleep_equal(stat, s["sleep_stages"], s["start_time"], s["end_time"])


def test_cached_get_in_process_timing() -> None:
    """How long one GET of a completed 8-hour night costs inside the app."""
    from datetime import UTC

    from starlette.testclient import TestClient

    from emulator.app import create_app
    from emulator.asleep import analysis, schemas, wiring
    from emulator.asleep.state import state_of
    from tests.asleep.conftest import Api

    app = create_app(settings_for())
    with TestClient(app) as client:
        api = Api(client)
        user = api.user()
        session_id = api.session(user)
        rt = api.runtime
        state = state_of(rt.store.namespace(KEY))
        tenant = rt.tenants.lookup(KEY)
        assert tenant is not None
        rules = wiring.rules_for(rt, tenant)
        session = state.sessions.get(session_id)
        assert session is not None
        for seq in range(EPOCHS):
            state.upload(rules, 0, session, seq, None)
        state.close(rules, 0, session, end_time=None, unexpected=False, callback_url=None)

        rounds = 20
        started = time.perf_counter()
        for _ in range(rounds):
            state.forget(session_id)  # drop the memoised stat and body: a cold render
            schemas.dumps(
                schemas.ok(schemas.session_v3(analysis.read(state, rules, session), UTC, "UTC"))
            )
        cold_ms = (time.perf_counter() - started) * 1000 / rounds

        api.get(user, session_id)  # render once and cache
        started = time.perf_counter()
        for _ in range(200):
            api.get(user, session_id)
        cached_ms = (time.perf_counter() - started) * 1000 / 200
        print(
            f"\n[asleep GET] cold render of an 8-hour night {cold_ms:.2f} ms; "
            f"cached GET through the in-process client {cached_ms:.2f} ms"
        )
