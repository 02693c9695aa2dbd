"""Three emulator processes on one Redis (``--state-url``), behind a round-robin client.

Each replica is a real ``vendor-emulator serve`` process on its own loopback port;
clients send request after request to the next replica in turn, so nearly every read
is served by another process than the write before it:

* the 64-client mixed soak of ``test_soak`` on both vendors: nothing acknowledged is
  lost, no id is handed out twice;
* the webhooks of two synthetic nights reach a loopback receiver although the replica
  delivering them is killed with -9 halfway: the others take its queues over once
  its leases run out;
* a clock advance through one replica is the time of the others; a Kintsugi session
  initiated on one is predicted on a second and read on a third.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from emulator.bench import flows, procs
from tests.core.test_outbox import Receiver
from tests.reliability.conftest import Live
from tests.reliability.test_soak import CLIENTS, MIN_VOICE, SECONDS, storm

pytestmark = [pytest.mark.reliability, pytest.mark.e2e]

Cluster = Callable[..., list[Live]]


@pytest.fixture
def cluster(redis_url: str, tmp_path: Path) -> Iterator[Cluster]:
    """``cluster(3, "section.field=value", ...)``: replicas on the test's Redis database."""
    started: list[Live] = []

    def start(n: int, *assignments: str) -> list[Live]:
        extra = [arg for a in assignments for arg in ("--set", a)]
        for _ in range(n):
            log = tmp_path / f"replica-{len(started)}.log"
            server = procs.emulator(
                "--log-level", "warning", "--state-url", redis_url, *extra, log=str(log)
            )
            started.append(Live(server, log))
        return started[-n:]

    yield start
    for live in started:
        live.server.stop()  # also collects a killed one and closes its pipe


class RoundRobin(httpx.AsyncBaseTransport):
    """Sends each request to the next replica in turn; notes the ids handed out.

    An id counts twice only if it was handed out twice between two resets of its API
    key: after a reset the same requests give the same ids again, by design.
    """

    def __init__(self, ports: list[int], start: int, ids: Counter[str]) -> None:
        self._ports = itertools.cycle(ports[start % len(ports) :] + ports[: start % len(ports)])
        self._inner = httpx.AsyncHTTPTransport()
        self._ids = ids
        self._resets: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(port=next(self._ports))
        response = await self._inner.handle_async_request(request)
        key = request.headers.get("x-api-key", "")
        if request.method == "POST" and request.url.path == "/_emulator/reset":
            self._resets[request.url.params.get("api_key", "")] += 1
        elif request.method == "POST" and request.url.path in _MINTING:
            await response.aread()
            minted = _minted(response.content)
            if minted is not None:
                self._ids[f"{key}/{self._resets[key]}:{minted}"] += 1
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


_MINTING = {"/ai/v1/users", "/ai/v1/sessions", "/v1/initiate", "/v2/initiate"}


def _minted(content: bytes) -> str | None:
    try:
        doc = json.loads(content)
    except ValueError:
        return None
    found = doc.get("result", doc) if isinstance(doc, dict) else None
    if not isinstance(found, dict):
        return None
    value = found.get("user_id") or found.get("session_id")
    return value if isinstance(value, str) else None


@pytest.mark.slow
def test_the_mixed_soak_on_three_replicas_loses_and_duplicates_nothing(
    cluster: Cluster,
) -> None:
    replicas = cluster(3, MIN_VOICE)
    ports = [live.port for live in replicas]
    ids: Counter[str] = Counter()
    started = time.monotonic()
    tally = asyncio.run(
        storm(replicas[0].base_url, CLIENTS, SECONDS, lambda n: RoundRobin(ports, n, ids))
    )
    elapsed = time.monotonic() - started
    codes = ", ".join(f"{code}: {count}" for code, count in sorted(tally.statuses.items()))
    twice = [i for i, n in ids.items() if n > 1]
    print(
        f"\nsoak on 3 replicas: {CLIENTS} clients for {elapsed:.1f} s: {tally.requests:,} "
        f"requests ({tally.requests / elapsed:,.0f}/s; {codes}); conversations "
        f"{dict(tally.conversations)}; acknowledged uploads {tally.uploads:,}, predictions "
        f"{tally.predictions:,}; ids minted {len(ids):,}, twice {len(twice)}; "
        f"5xx {len(tally.server_errors)}, unexpected {len(tally.unexpected)}, "
        f"lost {len(tally.lost)}"
    )
    logs = "".join(live.log_text()[-2000:] for live in replicas)
    assert all(live.alive() for live in replicas)
    assert tally.server_errors == [], "\n".join(tally.server_errors[:10]) + logs
    assert [c for live in replicas for c in live.crashes()] == []
    assert tally.unexpected == [], "\n".join(tally.unexpected[:10])
    assert tally.lost == [], "\n".join(tally.lost[:10])
    assert twice == []
    assert all(tally.conversations[k] > 0 for k in ("asleep", "kintsugi_v1", "kintsugi_v2"))


def _night(http: httpx.Client, user: str, url: str, hours: float) -> list[str]:
    r = http.post(
        f"/_emulator/asleep/users/{user}/nights",
        json={"callback_url": url, "hours": hours, "cadence": 5},
    )
    assert r.status_code == 201, r.text
    return [d["id"] for d in r.json()["deliveries"]]


def test_webhooks_of_two_nights_arrive_although_a_replica_is_killed(cluster: Cluster) -> None:
    """The killed replica held both nights' queues; the others finish them.

    Every delivery arrives. One that was in flight at the kill -- at most one per
    session queue -- has an unknown outcome (its replica never heard back): it is
    logged as such and sent again, so the receiver may see that body twice; no other
    delivery ever arrives twice.
    """
    replicas = cluster(3, "webhooks.lease_seconds=1.5")
    first, second, third = replicas
    with Receiver() as receiver:
        with flows.client(first.base_url) as http:
            users = [flows.new_user(http) for _ in range(2)]
            queued = [d for user in users for d in _night(http, user, receiver.url, 8)]
        while len(receiver.received) < len(queued) // 4:
            time.sleep(0.002)
        first.server.proc.kill()  # SIGKILL: no grace, no hand-over
        at_kill = len(receiver.received)
        with flows.client(second.base_url) as http:
            flushed = http.post("/_emulator/callbacks/flush", params={"timeout": 120})
            assert flushed.status_code == 200, flushed.text
            log = http.get("/_emulator/callbacks").json()["callbacks"]
    arrived = Counter(json.dumps(r.json(), sort_keys=True) for r in receiver.received)
    expected = Counter(json.dumps(d["body"], sort_keys=True) for d in log)
    unknown = [
        d for d in log if any("outcome unknown" in (a["error"] or "") for a in d["attempts"])
    ]
    twice = [body for body, n in arrived.items() if n > 1]
    print(
        f"\nwebhooks: {len(queued)} queued on the killed replica, {at_kill} had arrived at "
        f"the kill; arrived {sum(arrived.values())} ({len(arrived)} distinct), twice "
        f"{len(twice)}; in flight at the kill (outcome unknown) {len(unknown)}"
    )
    assert [d["id"] for d in log] == queued
    assert {d["status"] for d in log} == {"delivered"}
    assert set(arrived) == set(expected)  # every body arrived
    assert len(unknown) <= len(users)  # one queue per night
    in_flight = {json.dumps(d["body"], sort_keys=True) for d in unknown}
    assert set(twice) <= in_flight  # only what was in flight at the kill may come twice
    assert all(arrived[body] <= 2 for body in twice)
    assert third.alive()


def test_a_clock_advance_through_one_replica_is_the_time_of_the_others(cluster: Cluster) -> None:
    replicas = cluster(3)
    httpx.post(f"{replicas[0].base_url}/_emulator/clock", json={"freeze": True}).raise_for_status()
    moved = httpx.post(f"{replicas[1].base_url}/_emulator/clock", json={"advance": 86400})
    seen = [httpx.get(f"{live.base_url}/_emulator/clock").json() for live in replicas]
    assert seen == [moved.json()] * 3


def test_a_kintsugi_session_is_initiated_predicted_and_read_on_three_replicas(
    cluster: Cluster,
) -> None:
    a, b, c = cluster(3, MIN_VOICE)
    key: dict[str, Any] = {"x-api-key": "chain"}
    initiated = httpx.post(
        f"{a.base_url}/v2/initiate",
        headers=key,
        json={"user_id": "patient-7+emu-result:severe", "is_initiated": True, "metadata": {}},
    )
    session = initiated.json()["session_id"]
    predicted = httpx.post(
        f"{b.base_url}/v2/prediction/",
        headers=key,
        data={"session_id": session},
        files={"file": ("a.wav", flows.speech_wav(3, 16000, seed=3), "audio/wav")},
    )
    assert predicted.status_code == 202, predicted.text
    polls = [httpx.get(f"{c.base_url}/v2/predict/sessions/{session}", headers=key).json()]
    polls.append(httpx.get(f"{a.base_url}/v2/predict/sessions/{session}", headers=key).json())
    assert [p["status"] for p in polls] == ["processing", "success"]
    assert polls[1]["predicted_score_anxiety"] == "severe"
