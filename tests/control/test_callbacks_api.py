"""The callback control API under /_emulator/callbacks: log, filters, redeliver, switch, flush.

The app runs in-process (Starlette TestClient, its own event loop in a thread) with a
``MockTransport`` receiver; deliveries are submitted from the test thread, which
also exercises the outbox's cross-thread hand-over.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.core.outbox import Delivery, Outbox
from emulator.core.secrets import mask
from emulator.settings import Settings, WebhookSettings
from tests.core.test_outbox import wire

SETTINGS = Settings(
    webhooks=WebhookSettings(
        timeout_seconds=0.5,
        max_attempts=2,
        backoff_base_seconds=0.01,
        backoff_max_seconds=0.02,
        shutdown_grace_seconds=0.2,
    )
)


@dataclass
class Receiver:
    """MockTransport handler: 200 unless the body's ``status`` says otherwise."""

    seen: list[dict[str, Any]] = field(default_factory=list)

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.seen.append(body)
        if body.get("hang"):
            await asyncio.sleep(body["hang"])
        return httpx.Response(int(body.get("status", 200)))


@dataclass
class Env:
    client: TestClient
    outbox: Outbox
    receiver: Receiver

    def send(
        self,
        *,
        api_key: str = "k1",
        session_id: str = "s1",
        user_id: str = "u1",
        event: str = "INFERENCE_COMPLETE",
        **body: Any,
    ) -> Delivery:
        return self.outbox.submit(
            api_key=api_key,
            session_id=session_id,
            user_id=user_id,
            event=event,
            url="http://receiver.test/hook",
            body={"event": event, **body},
            headers={"x-api-key": api_key, "x-user-id": user_id},
        )

    def flush(self, **params: Any) -> Any:
        return self.client.post("/_emulator/callbacks/flush", params=params)


@pytest.fixture
def env() -> Iterator[Env]:
    app = create_app(SETTINGS)
    receiver = Receiver()
    outbox = wire(app, httpx.MockTransport(receiver))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Env(client, outbox, receiver)


def test_log_lists_deliveries_with_attempts_oldest_first(env: Env) -> None:
    first = env.send(n=1, status=500)
    second = env.send(n=2)
    assert env.flush().json()["idle"] is True
    r = env.client.get("/_emulator/callbacks")
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 2
    assert body["capacity"] == 10_000
    assert body["summary"]["failed"] == 1
    assert body["summary"]["delivered"] == 1
    got = body["callbacks"]
    assert [d["id"] for d in got] == [first.id, second.id]
    assert got[0]["status"] == "failed"
    assert [a["status"] for a in got[0]["attempts"]] == [500, 500]
    assert got[0]["attempts"][0]["retry_in_seconds"] is not None
    assert got[0]["note"] == "gave up after 2 attempts"
    assert got[1]["body"] == {"event": "INFERENCE_COMPLETE", "n": 2}
    assert got[1]["headers"] == {"x-api-key": mask("k1"), "x-user-id": "u1"}
    assert set(got[1]["attempts"][0]) == {
        "attempt",
        "time",
        "latency_ms",
        "outcome",
        "status",
        "error",
        "error_kind",
        "injected",
        "duplicate",
        "retry_in_seconds",
        "response_excerpt",
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("session_id=s2", [2]),
        ("user_id=u2", [3]),
        ("event=SESSION_COMPLETE", [3]),
        ("api_key=k2", [3]),
        ("status=failed", [1]),
        ("limit=2", [2, 3]),
        ("limit=1&offset=1", [2]),
        ("limit=2&offset=2", [1]),
        ("offset=1", [1, 2]),
        ("offset=9", []),
        ("api_key=k1&session_id=s1", [1]),
    ],
)
def test_log_filters(env: Env, query: str, expected: list[int]) -> None:
    env.send(n=1, status=418)
    env.send(n=2, session_id="s2")
    env.send(n=3, api_key="k2", user_id="u2", event="SESSION_COMPLETE")
    env.flush()
    got = env.client.get(f"/_emulator/callbacks?{query}").json()["callbacks"]
    assert [d["body"]["n"] for d in got] == expected


def test_the_total_counts_every_match_and_brief_leaves_out_bodies(env: Env) -> None:
    for n in range(3):
        env.send(n=n)
    env.flush()
    body = env.client.get("/_emulator/callbacks", params={"limit": 1, "brief": "true"}).json()
    assert body["total"] == 3
    assert body["count"] == 1
    (brief,) = body["callbacks"]
    assert "body" not in brief
    assert "headers" not in brief
    assert brief["attempt_count"] == 1


@pytest.mark.parametrize(
    "query", ["status=lost", "limit=x", "limit=-1", "api_key=", "offset=x", "offset=-2"]
)
def test_bad_filters_are_control_errors(env: Env, query: str) -> None:
    r = env.client.get(f"/_emulator/callbacks?{query}")
    assert r.status_code == 400
    assert r.json()["error"] == "bad_request"
    assert set(r.json()) == {"error", "message"}


def test_one_delivery_and_unknown_ids(env: Env) -> None:
    d = env.send(n=1)
    env.flush()
    r = env.client.get(f"/_emulator/callbacks/{d.id}")
    assert r.status_code == 200
    assert r.json()["id"] == d.id
    assert r.json()["status"] == "delivered"
    for method, path in [
        ("GET", "/_emulator/callbacks/cb_unknown"),
        ("POST", "/_emulator/callbacks/cb_unknown/redeliver"),
    ]:
        missing = env.client.request(method, path)
        assert missing.status_code == 404
        assert missing.json()["error"] == "not_found"


def test_redeliver_answers_202_and_links_the_copy(env: Env) -> None:
    d = env.send(n=7)
    env.flush()
    r = env.client.post(f"/_emulator/callbacks/{d.id}/redeliver")
    assert r.status_code == 202
    new_id = r.json()["id"]
    assert r.json()["redelivery_of"] == d.id
    assert new_id != d.id
    env.flush()
    copy = env.client.get(f"/_emulator/callbacks/{new_id}").json()
    assert copy["redelivery_of"] == d.id
    assert copy["status"] == "delivered"
    assert copy["body"] == {"event": "INFERENCE_COMPLETE", "n": 7}
    assert [b["n"] for b in env.receiver.seen] == [7, 7]


def test_failure_switch_round_trip(env: Env) -> None:
    assert env.client.get("/_emulator/callbacks/failures").json() == {"switches": []}
    r = env.client.put(
        "/_emulator/callbacks/failures",
        json={"mode": "fail_after_send", "remaining": 1, "api_key": "k1"},
    )
    assert r.status_code == 200
    assert r.json()["switch"] == {
        "mode": "fail_after_send",
        "remaining": 1,
        "api_key": mask("k1"),
        "event": None,
    }
    d = env.send(n=1)
    env.flush()
    # Sent, treated as failed, retried: the receiver saw it twice.
    assert [b["n"] for b in env.receiver.seen] == [1, 1]
    logged = env.client.get(f"/_emulator/callbacks/{d.id}").json()
    assert [a["injected"] for a in logged["attempts"]] == ["fail_after_send", None]
    assert env.client.get("/_emulator/callbacks/failures").json() == {"switches": []}

    env.client.put("/_emulator/callbacks/failures", json={"mode": "drop"})
    assert len(env.client.get("/_emulator/callbacks/failures").json()["switches"]) == 1
    assert env.client.delete("/_emulator/callbacks/failures").json()["removed"] is True
    env.client.put("/_emulator/callbacks/failures", json={"mode": "duplicate", "api_key": "k9"})
    off = env.client.put("/_emulator/callbacks/failures", json={"mode": "off", "api_key": "k9"})
    assert off.json() == {"switch": None, "api_key": mask("k9")}
    assert env.client.get("/_emulator/callbacks/failures").json() == {"switches": []}


@pytest.mark.parametrize(
    "body",
    [
        {"mode": "explode"},
        {"mode": "drop", "remaining": 0},
        {"mode": "drop", "remaining": True},
        {"mode": "drop", "remaining": "2"},
        {"mode": "drop", "api_key": ""},
        {"mode": "drop", "event": 5},
        {"mode": "drop", "colour": "red"},
        [],
    ],
)
def test_failure_switch_validation(env: Env, body: Any) -> None:
    r = env.client.put("/_emulator/callbacks/failures", json=body)
    assert r.status_code == 400
    assert r.json()["error"] == "bad_request"


def test_failure_switch_rejects_non_json(env: Env) -> None:
    r = env.client.put("/_emulator/callbacks/failures", content=b"{nope")
    assert r.status_code == 400


def test_clear_and_reset(env: Env) -> None:
    env.send(n=1)
    env.send(n=2, api_key="k2")
    env.flush()
    assert env.client.delete("/_emulator/callbacks?api_key=k2").json() == {"cleared": 1}
    assert [d["api_key"] for d in env.client.get("/_emulator/callbacks").json()["callbacks"]] == [
        mask("k1")
    ]
    env.send(n=3, api_key="k2")
    env.flush()
    # The general reset reaches the outbox through the hook ``install`` registered.
    assert env.client.post("/_emulator/reset?api_key=k1").status_code == 200
    left = env.client.get("/_emulator/callbacks").json()["callbacks"]
    assert [d["api_key"] for d in left] == [mask("k2")]
    assert env.client.delete("/_emulator/callbacks").json() == {"cleared": 1}


def test_flush_times_out_with_a_control_error(env: Env) -> None:
    env.send(n=1, hang=2)
    r = env.flush(timeout=0.05)
    assert r.status_code == 504
    assert r.json()["error"] == "flush_timeout"
    assert "1 callback deliveries still pending" in r.json()["message"]
    # Another tenant is not blocked by k1's slow receiver.
    assert env.flush(timeout=1, api_key="k2").status_code == 200
    for bad in ("x", "-1", "nan", "601"):
        assert env.flush(timeout=bad).status_code == 400


def test_failure_switch_is_listed_as_a_scenario(env: Env) -> None:
    names = [s["name"] for s in env.client.get("/_emulator/scenarios").json()["scenarios"]]
    assert "callback-failures" in names
