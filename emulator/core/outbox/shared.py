"""The outbox of a replica (``--state-url``): one queue and log in Redis, exactly once.

Same contract as ``outbox.Outbox`` (ordering per session, retries, the failure
switch, the log behind ``GET /_emulator/callbacks``), but the deliveries live in Redis
(``leases`` has the layout), so that any replica can deliver them and none twice:

* a delivery made by a request is written by that request's commit, with the state
  change that caused it (``emulator.core.shared.transaction``): a request that runs
  again after a conflict queues nothing twice, one that fails queues nothing;
* a session's queue is worked by the one replica that holds its lease; the replica
  that committed claims it at once, the others look every ``CLAIM_SECONDS`` for
  queues nobody holds -- a dead replica's, once its lease ran out
  (``webhooks.lease_seconds``);
* the new holder goes on from the delivery's last saved state: a retry timer is
  waited out; an attempt that was in flight when its replica died has an unknown
  outcome, is logged as such (failed) and retried -- so the receiver may see that one
  body twice: at-least-once for the delivery that was in flight at the crash,
  exactly once for every other;
* on shutdown nothing is abandoned: an attempt in flight gets the grace period,
  then the leases are released and another replica (or the next start) goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from emulator.core.outbox import leases
from emulator.core.outbox.delivering import Handover
from emulator.core.outbox.http import HttpSender
from emulator.core.outbox.outbox import Outbox
from emulator.core.outbox.records import (
    Attempt,
    Delivery,
    delivery_doc,
    delivery_from_doc,
)
from emulator.core.outbox.schedule import WebhookSettings
from emulator.core.outbox.shared_log import SharedLog, SharedSwitches, queue_of
from emulator.core.randomness import token
from emulator.core.shared.scripts import PREFIX, SEP, decode
from emulator.core.shared.transaction import current

if TYPE_CHECKING:
    import httpx

    from emulator.core.clock import Clock
    from emulator.core.shared.db import SharedDB

log = logging.getLogger("emulator.core.outbox")

CLAIM_SECONDS: Final = 0.25  # how often a replica looks for queues nobody holds
CLAIM_BATCH: Final = 64


class SharedOutbox(Outbox):
    """Queues, sends, retries and records callbacks for every replica (module doc).

    An ``Outbox`` to its users; none of the one-process machinery (its queues, its
    log, which only keeps the capacity the control API shows) is used.
    """

    flush_poll_seconds = 0.02  # each look at what is pending is a round trip to Redis

    def __init__(
        self,
        db: SharedDB,
        settings: WebhookSettings | None = None,
        *,
        clock: Clock | None = None,
        seed: int | Callable[[], int] = 0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(settings, clock=clock, seed=seed, transport=transport)
        self.db = db
        self.switches = SharedSwitches(db)
        self.log = SharedLog(db, self.settings.log_size)
        client = db.client
        self._scripts = {
            name: client.register_script(getattr(leases, name.upper()))
            for name in ("claim", "renew", "head", "save", "release", "enqueue", "forget")
        }
        self._drains: dict[str, asyncio.Task[None]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._wake: asyncio.Event | None = None
        self._leaving = False
        self._left: asyncio.Event | None = None

    def _script(self, name: str, *args: Any) -> Any:
        return self.db.run(self._scripts[name], [], [PREFIX, *args])

    @property
    def _lease_ms(self) -> int:
        return int(self.settings.lease_seconds * 1000)

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._leaving = False
        self._left = asyncio.Event()
        self._wake = asyncio.Event()
        self._sender = HttpSender(self.settings, self.transport)
        clean = contextvars.Context()  # background work belongs to no request
        self._tasks = [
            self._loop.create_task(self._dispatch(), name="outbox claims", context=clean),
            self._loop.create_task(self._renew(), name="outbox leases", context=clean),
        ]

    async def stop(self) -> None:
        """Let attempts in flight finish within the grace period; hand the rest over."""
        self._leaving = True
        if self._left is not None:
            self._left.set()
        drains = list(self._drains.values())
        if drains:
            _, late = await asyncio.wait(drains, timeout=self.settings.shutdown_grace_seconds)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        held = list(self._drains)
        if held:
            with contextlib.suppress(Exception):
                self._script("release", self.db.replica, *held)
        self._drains.clear()
        if self._sender is not None:
            await self._sender.aclose()
        self._sender = None
        self._loop = None

    # ------------------------------------------------------------------ enqueueing
    def _mint_id(self, api_key: str) -> str:
        # Per-tenant numbers from Redis: unique over every replica, and the same request
        # sequence gives the same ids whichever replica answers.
        n = int(self.db.run(self.db.client.hincrby, PREFIX + "cb:ids", api_key, 1))
        return "cb_" + token(self.seed, "outbox", api_key, "delivery", n, length=16)

    def enqueue(self, delivery: Delivery) -> Delivery:
        """Queue ``delivery``: with the request's commit, or at once outside a request."""
        args = (delivery.id, json.dumps(delivery_doc(delivery)), queue_of(delivery))
        tx = current()
        if tx is not None:
            tx.deliveries.append((*args, delivery.api_key))
            tx.log_capacity = self.settings.log_size
            tx.after.append(self.wake)
        else:
            self._script("enqueue", self.settings.log_size, *args, delivery.api_key)
            self.wake()
        return delivery

    def wake(self) -> None:
        """Look for claimable queues now (a delivery was just committed)."""
        if self._wake is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    # ------------------------------------------------------------------ claiming
    async def _dispatch(self) -> None:
        assert self._wake is not None
        assert self._loop is not None
        while not self._leaving:
            try:
                claimed = self._script("claim", self.db.replica, self._lease_ms, CLAIM_BATCH)
            except Exception:
                log.exception("could not claim callback queues")
                claimed = []
            for raw in claimed:
                queue = decode(raw)
                if queue not in self._drains:
                    self._drains[queue] = self._loop.create_task(
                        self._drain(queue), name=f"outbox {queue[:24]}"
                    )
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), CLAIM_SECONDS)

    async def _renew(self) -> None:
        while not self._leaving:
            await asyncio.sleep(self.settings.lease_seconds / 3)
            held = list(self._drains)
            if not held:
                continue
            try:
                lost = self._script("renew", self.db.replica, self._lease_ms, *held)
            except Exception:
                log.exception("could not renew callback leases")
                continue
            for raw in lost:
                task = self._drains.pop(decode(raw), None)
                if task is not None:
                    task.cancel()

    async def _drain(self, queue: str) -> None:  # type: ignore[override]
        """Deliver one session's queue in order while this replica holds its lease."""
        me = asyncio.current_task()
        try:
            while not self._leaving:
                head = self._script("head", self.db.replica, queue)
                if int(head[0]) != 2:
                    return  # not ours any more, or empty (released)
                delivery_id = decode(head[1])
                if head[2] is None:  # reset meanwhile
                    self._script("save", self.db.replica, queue, delivery_id, "", "1")
                    continue
                delivery = delivery_from_doc(json.loads(head[2]))
                try:
                    await self._resume(delivery)
                except Handover:
                    return
                except Exception:  # a bug here must not kill the session's queue
                    log.exception("callback delivery %s crashed", delivery.id)
                    self._finish(delivery, "failed", "internal error in the outbox; see the log")
        except Handover:
            return
        finally:
            if self._drains.get(queue) is me:
                del self._drains[queue]

    async def _resume(self, delivery: Delivery) -> None:
        """Go on with a delivery from its saved state (it may come from a dead replica)."""
        if delivery.status == "delivering":
            number = len([a for a in delivery.attempts if not a.duplicate]) + 1
            attempt = Attempt(
                number,
                self._now(),
                0.0,
                "failed",
                error="the replica sending this attempt stopped before it heard back; "
                "outcome unknown, so it is retried",
                error_kind="transport",
            )
            delivery.attempts.append(attempt)
            if number >= self.settings.max_attempts:
                self._finish(delivery, "failed", f"gave up after {number} attempts")
                return
            if not await self._retry_later(delivery, number, attempt):
                return
        elif delivery.status == "pending" and delivery.due is not None:
            left = delivery.due - time.time()
            if left > 0 and not await self._wait(delivery, left):
                return
        await self._deliver(delivery)

    # ------------------------------------------------------------------ hooks
    def _persist(self, delivery: Delivery) -> None:
        self._save(delivery, finished=False)

    def _closed(self, delivery: Delivery) -> None:
        self._save(delivery, finished=True)

    def _save(self, delivery: Delivery, *, finished: bool) -> None:
        doc = json.dumps(delivery_doc(delivery))
        saved = self._script(
            "save", self.db.replica, queue_of(delivery), delivery.id, doc, "1" if finished else "0"
        )
        if not int(saved):
            raise Handover()  # another replica holds the queue now (or it was reset)

    async def _wait(self, delivery: Delivery, delay: float) -> bool:
        left = self._left
        if self._leaving or left is None:
            return False
        try:
            await asyncio.wait_for(left.wait(), delay)
        except TimeoutError:
            return True
        return False  # shutting down: the lease is released, another replica waits on

    def _gave_up_waiting(self, delivery: Delivery) -> None:
        """Nothing is abandoned: the delivery stays pending for the next holder."""

    # ------------------------------------------------------------------ inspection
    # get, deliveries, flush, summary and the failure switches are Outbox's, over
    # the shared log and switches.
    def pending(self, api_key: str | None = None) -> int:
        queues = self.db.run(self.db.client.hvals, PREFIX + "cb:open")
        if api_key is None:
            return len(queues)
        mine = f"{api_key}{SEP}".encode()
        return sum(1 for q in queues if q.startswith(mine))

    # ------------------------------------------------------------------ switches, clearing
    def clear(self, api_key: str | None = None) -> int:
        """Forget finished deliveries (all, or one tenant's); pending ones stay."""
        return int(self._script("forget", api_key or "", "1"))

    def reset(self, api_key: str | None = None) -> None:
        """Drop a tenant's (or everyone's) deliveries, queues, ids and switch."""
        self._script("forget", api_key or "", "0")
        self.forget_local(api_key)

    def forget_local(self, api_key: str | None = None) -> None:
        """Stop this replica's work on a tenant's queues (another replica reset it)."""
        for queue in [q for q in self._drains if api_key is None or q.startswith(api_key + SEP)]:
            self._drains.pop(queue).cancel()
