"""Asleep inside the runtime: advance, tick, live progression changes, snapshots, files."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.asleep import wiring
from emulator.asleep.events import SessionComplete
from tests.asleep.conftest import Api, settings_for


def test_advancer_completes_closed_sessions(make_api: Any) -> None:
    api = make_api(progression="manual")
    user = api.user()
    first = api.night(user, range(60))
    second = api.night(user, range(45))
    advance = wiring.advancer(api.runtime)
    assert advance("someone-else", None) == 0
    assert advance(api.key, second) == 1
    assert api.result(user, first)["session"]["state"] == "CLOSED"
    assert api.result(user, second)["session"]["state"] == "COMPLETE"
    assert advance(None, None) == 1
    assert api.result(user, first)["session"]["state"] == "COMPLETE"
    assert advance(None, None) == 0


def test_tick_applies_virtual_time_and_publishes(make_api: Any) -> None:
    api = make_api(progression="seconds", progression_seconds=30.0)
    seen: list[Any] = []
    api.runtime.events.subscribe(object, lambda k, e: seen.append(e))
    user = api.user()
    closed = api.night(user, range(45))
    open_ = api.session(user)  # created at T
    api.uploads(user, open_, range(3))
    seen.clear()
    api.runtime.clock.advance(31)
    wiring.tick(api.runtime)
    assert [(type(e), e.session_id) for e in seen] == [(SessionComplete, closed)]
    api.runtime.clock.advance(86400 - 31 + 10)  # T + 24 h + 10 s
    wiring.tick(api.runtime, api.key)
    assert api.stored(open_).state.value == "CLOSED"  # ended at T + 24 h; analysis takes 30 s
    api.runtime.clock.advance(30)
    wiring.tick(api.runtime)
    assert api.stored(open_).state.value == "COMPLETE"
    assert api.stored(open_).unexpected_end_time is not None


def test_progression_can_change_while_running(api: Api) -> None:
    r = api.client.put("/_emulator/progression", json={"asleep": {"mode": "manual"}})
    assert r.status_code == 200, r.text
    user = api.user()
    session = api.night(user, range(45))
    assert api.result(user, session)["session"]["state"] == "CLOSED"
    r = api.client.post("/_emulator/advance", params={"api": "asleep"})
    if r.status_code == 200:  # once the app registers rt.advancers["asleep"]
        assert api.result(user, session)["session"]["state"] == "COMPLETE"
    else:
        api.control("POST", f"/sessions/{session}/complete")
        assert api.result(user, session)["session"]["state"] == "COMPLETE"


def _world(api: Api) -> tuple[str, list[str]]:
    user = api.user({"gender": "female"})
    api.control("PUT", f"/users/{user}/profile", {"profile": "heavy_snorer"})
    sessions = [api.night(user, [s for s in range(90) if s != 50]) for _ in range(2)]
    injected = api.session(user)
    api.control("PUT", f"/sessions/{injected}/hypnogram", {"sleep_stages": [0, 1, 2, 3] * 20})
    api.uploads(user, injected, range(44))
    return user, [*sessions, injected]


def _reads(api: Api, user: str, sessions: list[str]) -> list[bytes]:
    out = [api.get(user, s, timezone="Asia/Seoul").content for s in sessions]
    out.append(api.client.get(f"/ai/v1/users/{user}", headers=api.headers()).content)
    out.append(api.client.get("/data/v1/sessions", headers=api.headers(user)).content)
    out.append(api.control("GET", f"/users/{user}/profile").content)
    return out


def test_snapshot_and_restore_round_trip(api: Api) -> None:
    user, sessions = _world(api)
    before = _reads(api, user, sessions)
    r = api.client.get("/_emulator/state")
    assert r.status_code == 200
    document = r.json()
    assert set(document["tenants"][api.key]) >= {
        "asleep.users",
        "asleep.sessions",
        "asleep.hypnograms",
    }
    api.client.post("/_emulator/reset")
    assert api.get(user, sessions[0]).status_code == 404
    assert api.client.put("/_emulator/state", json=document).status_code == 200
    assert _reads(api, user, sessions) == before
    # The restored OPEN session carries on where it was.
    assert api.upload(user, sessions[-1], 44).status_code == 200
    assert api.close(user, sessions[-1]).status_code == 200
    assert api.result(user, sessions[-1])["session"]["sleep_stages"] == [0, 1, 2, 3] * 20


def test_state_file_survives_a_restart(tmp_path: Path) -> None:
    settings = replace(settings_for(tmp_path), state_file=str(tmp_path / "s.db"))
    with TestClient(create_app(settings)) as client:
        api = Api(client)
        user, sessions = _world(api)
        before = _reads(api, user, sessions)
    with TestClient(create_app(settings)) as client:
        api = Api(client)
        assert _reads(api, user, sessions) == before
        assert api.user() not in {user}
