"""The shared outbox (``--state-url``): leased queues, takeover, handover, shared switches.

Two ``SharedOutbox`` objects on one Redis play two replicas. A replica that "dies" has
its tasks cancelled without releasing anything, as ``kill -9`` would leave it: its
leases run out and the other replica goes on from the deliveries' saved state.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import replace

import httpx
import pytest

from emulator.core.outbox import Delivery, FailureSwitch, WebhookSettings
from emulator.core.outbox.delivering import Handover
from emulator.core.outbox.shared import SharedOutbox
from emulator.core.shared.db import SharedDB
from emulator.core.shared.scripts import decode
from tests.core.test_outbox import FAST, Recorder, run, statuses, submit

LEASED = replace(FAST, lease_seconds=0.3, max_attempts=4)


@pytest.fixture
def replica(redis_url: str) -> Iterator[Callable[..., SharedOutbox]]:
    dbs: list[SharedDB] = []

    def make(recorder: Recorder, settings: WebhookSettings = LEASED) -> SharedOutbox:
        db = SharedDB.connect(redis_url)
        dbs.append(db)
        return SharedOutbox(db, settings, seed=0, transport=httpx.MockTransport(recorder))

    yield make
    for db in dbs:
        db.close()


async def die(outbox: SharedOutbox) -> None:
    """Stop like a killed process: no grace, no release, no final save."""
    outbox._leaving = True
    tasks = [*outbox._tasks, *outbox._drains.values()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    outbox._drains.clear()


def test_deliveries_go_out_once_in_order_over_two_replicas(
    replica: Callable[..., SharedOutbox],
) -> None:
    rec = Recorder()

    async def scenario() -> list[Delivery]:
        a, b = replica(rec), replica(rec)
        await a.start()
        await b.start()
        made = [submit(b, session_id=f"s{n % 3}", body={"n": n}) for n in range(12)]
        assert await a.flush(10)
        await a.stop()
        await b.stop()
        return [found for d in made if (found := a.get(d.id)) is not None]

    done = run(scenario())
    assert [d.status for d in done] == ["delivered"] * 12
    sent = [body["n"] for body in rec.bodies]
    assert sorted(sent) == list(range(12))
    for session in range(3):  # each session's events in order
        mine = [n for n in sent if n % 3 == session]
        assert mine == sorted(mine)


def test_a_dead_replicas_delivery_is_taken_over_after_its_lease(
    replica: Callable[..., SharedOutbox],
) -> None:
    """The attempt in flight at the crash has an unknown outcome: logged, then retried."""
    gate = asyncio.Event()
    calls: list[int] = []

    async def hang_first(request: httpx.Request, index: int) -> httpx.Response:
        calls.append(index)
        if index == 0:
            await gate.wait()  # in flight when its replica dies; never answers
        return httpx.Response(200)

    rec = Recorder(hang_first)

    async def scenario() -> Delivery | None:
        a, b = replica(rec), replica(rec)
        await a.start()
        made = submit(a, body={"n": 1})
        while not calls:
            await asyncio.sleep(0.01)
        await die(a)
        await b.start()
        assert await b.flush(10)
        await b.stop()
        return b.get(made.id)

    delivery = run(scenario())
    assert delivery is not None
    assert delivery.status == "delivered"
    first, second = delivery.attempts
    assert (first.outcome, first.error_kind) == ("failed", "transport")
    assert "outcome unknown" in (first.error or "")
    assert second.outcome == "delivered"
    assert len(rec.requests) == 2  # the receiver may have seen the first one: at-least-once


def test_a_retry_timer_is_handed_over_on_shutdown_not_abandoned(
    replica: Callable[..., SharedOutbox],
) -> None:
    rec = Recorder(statuses(500, 200))
    slow = replace(LEASED, backoff_base_seconds=0.8, backoff_max_seconds=0.8)

    async def scenario() -> tuple[str, Delivery | None]:
        a, b = replica(rec, slow), replica(rec, slow)
        await a.start()
        made = submit(a)
        while not rec.requests:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        await a.stop()  # waiting on its retry timer: handed over, not abandoned
        left = a.get(made.id)
        assert left is not None
        status = left.status
        await b.start()
        assert await b.flush(10)
        await b.stop()
        return status, b.get(made.id)

    status, delivery = run(scenario())
    assert status == "pending"
    assert delivery is not None
    assert [a.outcome for a in delivery.attempts] == ["failed", "delivered"]


def test_a_replica_that_lost_its_lease_stops_writing(
    replica: Callable[..., SharedOutbox],
) -> None:
    """A claims the session's queue, stalls past its lease, and another replica claims
    it: A's save of the delivery's outcome is refused (``Handover``) and changes nothing,
    so the new holder goes on from the last state A was allowed to save."""
    rec = Recorder()

    async def scenario() -> None:
        a = replica(rec)
        made = submit(a)  # not started: nobody holds its queue yet
        queue = "key-1\x1fs1"
        assert a._script("claim", a.db.replica, 1, 10) == [queue.encode()]  # a 1 ms lease
        assert int(a._script("head", a.db.replica, queue)[0]) == 2  # A's, for now
        await asyncio.sleep(0.05)  # A stalls past its lease
        assert a._script("claim", "someone-else", 60_000, 10) == [queue.encode()]
        assert int(a._script("head", a.db.replica, queue)[0]) == 0  # not A's any more
        done = replace(made, status="delivered")
        with pytest.raises(Handover):
            a._save(done, finished=True)
        head = a._script("head", "someone-else", queue)
        assert int(head[0]) == 2  # still queued, for the new holder
        assert decode(head[1]) == made.id
        assert json.loads(head[2])["status"] == "pending"  # A's outcome was not written

    run(scenario())
    assert rec.requests == []  # nobody was started: no attempt went out


def test_a_failure_switch_counts_attempts_on_every_replica(
    replica: Callable[..., SharedOutbox],
) -> None:
    rec = Recorder()

    async def scenario() -> list[Delivery]:
        a, b = replica(rec), replica(rec)
        a.set_failure_switch(FailureSwitch(mode="drop", remaining=2))
        assert [s.remaining for s in b.failure_switches()] == [2]
        await a.start()
        await b.start()
        made = [submit(b, session_id=f"s{n}") for n in range(3)]
        assert await b.flush(10)
        await a.stop()
        await b.stop()
        return [d for m in made if (d := b.get(m.id)) is not None]

    done = run(scenario())
    dropped = [a for d in done for a in d.attempts if a.injected == "drop"]
    assert len(dropped) == 2
    assert {d.status for d in done} == {"delivered"}


def test_reset_and_clear_work_on_the_shared_log(replica: Callable[..., SharedOutbox]) -> None:
    rec = Recorder()

    async def scenario() -> tuple[int, int, int]:
        a, b = replica(rec), replica(rec)
        await a.start()
        submit(a, api_key="one")
        submit(a, api_key="two")
        assert await a.flush(10)
        cleared = b.clear("one")
        left = len(a.deliveries())
        b.reset()
        await a.stop()
        return cleared, left, len(a.deliveries())

    assert run(scenario()) == (1, 1, 0)
