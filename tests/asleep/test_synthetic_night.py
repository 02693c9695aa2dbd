"""``POST /_emulator/asleep/users/{user_id}/nights``: a whole night's webhooks, no audio.

The app runs in-process; the outbox sends to an ``httpx.MockTransport`` receiver, so
these tests check what a backend developer's receiver would get -- count, order,
versions, bodies -- and that the night is an ordinary session afterwards (the Data
API serves it and SESSION_COMPLETE equals that GET plus ``user_id``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from emulator.app import create_app
from tests.asleep.conftest import Api, settings_for
from tests.core.test_outbox import wire

URL = "http://receiver.test/asleep"


@dataclass
class Inbox:
    """The MockTransport receiver: every request, in arrival order."""

    requests: list[httpx.Request] = field(default_factory=list)

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        return httpx.Response(200)

    def bodies(self) -> list[Any]:
        return [json.loads(r.content) for r in self.requests]


@dataclass
class Env:
    api: Api
    inbox: Inbox

    def night(self, user: str, **body: Any) -> Any:
        return self.api.client.post(
            f"/_emulator/asleep/users/{user}/nights",
            headers={"x-api-key": self.api.key},
            json={"callback_url": URL, **body},
        )

    def flush(self) -> None:
        # The tenant's own key: with a tenant file it is the control call's credential.
        r = self.api.client.post(
            "/_emulator/callbacks/flush",
            params={"timeout": 30},
            headers={"x-api-key": self.api.key},
        )
        assert r.status_code == 200, r.text


@pytest.fixture
def make_env(tmp_path: Path) -> Iterator[Any]:
    """``make_env(key=..., plans=..., **asleep_settings) -> Env`` on a fresh app."""
    clients: list[TestClient] = []

    def make(key: str = "team-a", **kwargs: Any) -> Env:
        app = create_app(settings_for(tmp_path, **kwargs))
        inbox = Inbox()
        wire(app, httpx.MockTransport(inbox))  # before start: the outbox reads it then
        client = TestClient(app, raise_server_exceptions=True)
        client.__enter__()
        clients.append(client)
        return Env(Api(client, key), inbox)

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def env(make_env: Any) -> Env:
    found: Env = make_env()
    return found


def windows(epochs: int, cadence: int) -> list[int]:
    return [k for k in range(3, epochs // 10) if (k - 3) % (cadence // 5) == 0]


def test_a_default_night_delivers_every_callback_in_order(env: Env) -> None:
    user = env.api.user()
    r = env.night(user)
    assert r.status_code == 201, r.text
    night = r.json()
    env.flush()
    sid = night["session_id"]
    expected = windows(960, 5)  # 8 hours at the default 5-minute cadence
    assert {k: v for k, v in night.items() if k != "deliveries"} == {
        "session_id": sid,
        "user_id": user,
        "state": "COMPLETE",
        "version": "V3",
        "cadence_minutes": 5,
        "profile": env.api.control("GET", f"/users/{user}/profile").json()["profile"],
        "epochs": 960,
        "start_time": "2025-01-14T18:50:29+00:00",  # ends now: the frozen clock
        "end_time": "2025-01-15T02:50:29+00:00",
        "callback_url": URL,
    }
    deliveries = night["deliveries"]
    assert [d["event"] for d in deliveries] == ["INFERENCE_COMPLETE"] * len(expected) + [
        "SESSION_COMPLETE"
    ]
    assert [d["inference_seq_num"] for d in deliveries] == [*expected, None]
    assert [d["seq_num"] for d in deliveries] == [10 * k + 9 for k in expected] + [None]
    # The receiver got them in that order, with the documented headers.
    log = env.api.client.get("/_emulator/callbacks").json()["callbacks"]
    assert [d["id"] for d in log] == [d["id"] for d in deliveries]
    assert [d["status"] for d in log] == ["delivered"] * len(deliveries)
    bodies = env.inbox.bodies()
    assert bodies == [d["body"] for d in log]
    for request in env.inbox.requests:
        assert str(request.url) == URL
        assert request.headers["x-api-key"] == "team-a"
        assert request.headers["x-user-id"] == user
    # A real session: the Data API serves it, and the windows are its final stages
    # except where the wake tail rewrote the end of the night.
    result = env.api.result(user, sid)
    final = result["session"]
    assert final["state"] == "COMPLETE"
    assert bodies[-1] == {
        "event": "SESSION_COMPLETE",
        "version": "V3",
        "data": {**result, "user_id": user},
    }
    equal = 0
    for k, body in zip(expected, bodies, strict=False):
        data = body["data"]
        assert (data["seq_num"], data["inference_seq_num"]) == (10 * k + 9, k)
        same = all(
            data[key] == final[key][10 * k : 10 * k + 10]
            for key in ("sleep_stages", "breath_stages", "snoring_stages")
        )
        equal += same
        if not same:  # only the wake tail may differ, and it is all wake in the final
            assert 10 * k + 10 > 960 - 40
            assert final["sleep_stages"][10 * k + 9] == 0
    assert equal >= len(expected) - 4
    listed = env.api.client.get("/data/v1/sessions", headers=env.api.headers(user)).json()
    assert [s["session_id"] for s in listed["result"]["sleep_session_list"]] == [sid]
    print(f"\n[synthetic night] {len(bodies)} callbacks, {equal} windows equal to the final")


def test_options_version_hours_cadence_profile_and_start(env: Env) -> None:
    user = env.api.user()
    r = env.night(
        user,
        version="v1",
        hours=2,
        cadence=20,
        profile="insomnia",
        start_time="2025-01-14T23:00:00Z",
    )
    assert r.status_code == 201, r.text
    night = r.json()
    env.flush()
    assert (night["version"], night["cadence_minutes"], night["profile"]) == ("V1", 20, "insomnia")
    assert (night["epochs"], night["start_time"], night["end_time"]) == (
        240,
        "2025-01-14T23:00:00+00:00",
        "2025-01-15T01:00:00+00:00",
    )
    bodies = env.inbox.bodies()
    assert [b["callback_event"] for b in bodies] == ["INFERENCE_COMPLETE"] * 6 + [
        "SESSION_COMPLETE"
    ]
    assert [b["callback_data"]["inference_seq_num"] for b in bodies[:-1]] == windows(240, 20)
    for body in bodies[:-1]:
        assert set(body) == {"callback_event", "callback_data"}  # V1: no version key
        assert len(body["callback_data"]["stage_list"]) == 40
        assert len(body["callback_data"]["osa_stage_list"]) == 40
    v2 = env.api.result(user, night["session_id"], version=2)
    sleep_data = bodies[-1]["callback_data"]["sleep_data"]
    assert sleep_data["sleep_stages"] == v2["session"]["sleep_stages"]
    assert sleep_data["session_start_time"] == "2025-01-14T23:00:00+00:00"
    # The profile is the session's own (magic service), not the user's.
    info = env.api.client.get(f"/ai/v1/users/{user}", headers=env.api.headers()).json()
    assert info["result"]["last_session_info"]["service"] == "emulator:insomnia"


def test_the_plan_decides_what_the_body_leaves_open(make_env: Any) -> None:
    env = make_env(
        plans={"team-a": {"webhook_version": "V2", "cadence_minutes": 40, "four_stage": False}}
    )
    user = env.api.user()
    night = env.night(user, hours=3).json()
    env.flush()
    assert (night["version"], night["cadence_minutes"]) == ("V2", 40)
    bodies = env.inbox.bodies()
    assert [b["callback_data"].get("inference_seq_num") for b in bodies] == [
        3,
        11,
        19,
        27,
        35,
        None,
    ]
    assert all(b["callback_version"] == "V2" for b in bodies)
    assert set(bodies[0]["callback_data"]["stage_list"]) <= {-1, 0, 1}  # 2-stage plan
    result = env.api.result(user, night["session_id"])
    assert bodies[-1]["callback_data"] == {
        "user_id": user,
        "session_id": night["session_id"],
        "sleep_data": result,
    }


def test_the_same_seed_gives_the_same_ids_and_bodies(make_env: Any) -> None:
    runs = []
    for _ in range(2):
        env = make_env()
        user = env.api.user()
        answer = env.night(user, hours=1.5).json()
        env.flush()
        runs.append((answer, [r.content for r in env.inbox.requests]))
    assert runs[0] == runs[1]
    assert len(runs[0][1]) == 16  # windows 3..17, then SESSION_COMPLETE


def test_an_open_session_of_the_user_is_ended_first(make_env: Any) -> None:
    env = make_env()
    user = env.api.user()
    old = env.api.session(user, callback_url=URL + "/old")
    env.api.uploads(user, old, range(45))
    night = env.night(user, hours=1).json()
    env.flush()
    stored = env.api.stored(old)
    assert stored.state.value == "COMPLETE"
    assert stored.unexpected_end_time is not None
    by_url = [(str(r.url), json.loads(r.content)["event"]) for r in env.inbox.requests]
    assert (URL + "/old", "SESSION_COMPLETE") in by_url
    assert sum(url == URL for url, _ in by_url) == len(night["deliveries"])

    strict = make_env(open_session_policy="conflict")
    user = strict.api.user()
    strict.api.session(user)
    r = strict.night(user)
    assert r.status_code == 409
    assert r.json()["error"] == "session_open"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"callback_url": None}, "invalid_callback_url"),
        ({"callback_url": "ftp://x.test/h"}, "invalid_callback_url"),
        ({"version": "V4"}, "invalid_night"),
        ({"hours": 0}, "invalid_night"),
        ({"hours": 24.5}, "invalid_night"),
        ({"hours": "8"}, "invalid_night"),
        ({"cadence": 10}, "invalid_night"),
        ({"profile": "narcolepsy"}, "invalid_night"),
        ({"start_time": "yesterday"}, "invalid_night"),
        ({"hour": 8}, "invalid_night"),
    ],
)
def test_bad_bodies_are_refused(env: Env, body: dict[str, Any], code: str) -> None:
    user = env.api.user()
    r = env.night(user, **body)
    assert (r.status_code, r.json()["error"]) == (400, code), r.text
    assert env.api.client.get("/_emulator/callbacks").json()["count"] == 0


def test_unknown_user_and_missing_key(env: Env) -> None:
    r = env.night("G-20250115025029-nobodynobodynobodyno")
    assert (r.status_code, r.json()["error"]) == (404, "not_found")
    r = env.api.client.post("/_emulator/asleep/users/x/nights", json={"callback_url": URL})
    assert r.status_code == 401


def test_listed_in_the_scenarios(env: Env) -> None:
    found = env.api.client.get("/_emulator/scenarios").json()["scenarios"]
    (night,) = [s for s in found if s["name"] == "asleep-synthetic-night"]
    assert night["api"] == "asleep"
    assert night["example"]["path"] == "/_emulator/asleep/users/{user_id}/nights"
