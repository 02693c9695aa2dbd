"""The outbox: real, non-blocking delivery of outgoing callbacks, with retries and a log.

This module owns sending webhooks to customers' receivers (Asleep callbacks today;
nothing here is vendor-specific): the ``Delivery`` value, the per-session FIFO
queues, the shared HTTP client, retries with seeded exponential backoff, the
failure switch for idempotency testing, the bounded ``DeliveryLog`` behind
``GET /_emulator/callbacks`` (``emulator.control.callbacks``) and an orderly shutdown.

Rules (the vendor documents none of them, asleep-api.md §4.6 "Retries, timeouts and
the expected response code are not documented"; docs/webhooks.md, Delivery):

* ``enqueue`` never blocks or awaits: the request that caused a callback answers
  at once, delivery happens on background tasks of the app's event loop;
* one delivery in flight per ordering key ``(api_key, session_id)``, so a session's
  events arrive in the order they were enqueued; different sessions go out
  concurrently, at most ``WebhookSettings.concurrency`` HTTP calls at a time;
* every call has a hard timeout (``timeout_seconds``, connect to last byte);
  2xx is success; connection errors, timeouts and any other status (redirects are
  not followed) fail the attempt, which is retried up to ``max_attempts`` in all,
  after ``backoff_delay`` seconds: ``min(base * 2**(n-1), max)`` plus seeded
  jitter of up to ``jitter_ratio`` of that, a pure function of (seed, delivery
  id, attempt) so the schedule is the same on every run;
* waits use real time, not the virtual clock: the receiver is a real server on
  a real timeline, and a frozen (or jumped) virtual clock must neither stall
  retries forever nor fire them all at once.  Log timestamps use the virtual
  clock, like every other timestamp of the emulator; latencies are real;
* on ``stop`` pending deliveries get ``shutdown_grace_seconds`` to finish; the rest
  are marked ``abandoned`` and listed in a warning -- never dropped silently. One
  waiting on a retry timer that cannot come due within the grace is abandoned at
  once: waiting for it would only delay the shutdown.

The attempts themselves are ``delivering.DeliveryLoop``; with ``--state-url`` the
app uses ``shared.SharedOutbox`` instead, which keeps the queue and the log in Redis.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Final, Unpack

from emulator.core.outbox.delivering import DeliveryLoop
from emulator.core.outbox.http import HttpSender
from emulator.core.outbox.records import (
    STATUSES,
    Delivery,
    DeliveryFilters,
    DeliveryLog,
    FailureSwitch,
)
from emulator.core.outbox.schedule import WebhookSettings
from emulator.core.outbox.switches import Switches
from emulator.core.randomness import token

if TYPE_CHECKING:
    import httpx

    from emulator.core.clock import Clock

log = logging.getLogger("emulator.core.outbox")

_FLUSH_POLL_SECONDS: Final = 0.005


class Outbox(DeliveryLoop):
    """Queues, sends, retries and records callbacks; a Runtime ``Service``.

    Create it with the app (``install``); ``start``/``stop`` run with the app's
    lifespan.  ``enqueue`` may be called from the event loop (request handlers) or
    from another thread (it is handed over to the loop).  Deliveries enqueued before
    ``start`` wait for it.
    """

    flush_poll_seconds: float = _FLUSH_POLL_SECONDS  # how often ``flush`` looks again

    def __init__(
        self,
        settings: WebhookSettings | None = None,
        *,
        clock: Clock | None = None,
        seed: int | Callable[[], int] = 0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings or WebhookSettings()
        self._clock = clock
        self._seed = seed
        # Read at ``start``: tests may swap it in before the app starts.
        self.transport = transport
        self.log = DeliveryLog(self.settings.log_size)
        self._queues: dict[tuple[str, str], deque[Delivery]] = {}
        self._workers: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._counters: dict[str, int] = {}
        self.switches = Switches()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sender: HttpSender | None = None
        self._stopped = False
        # Deliveries handed over from another thread but not yet in the log (see flush).
        self._in_transit = 0
        self._lock = threading.Lock()  # guards _in_transit and id minting across threads
        # Unfinished deliveries by id: what flush() and pending() look at (not the whole log).
        self._open: dict[str, Delivery] = {}
        # Set by ``stop``: retry timers wake up and compare their due time with the end
        # of the grace period (monotonic).
        self._stopping: asyncio.Event | None = None
        self._grace_ends = 0.0

    # ------------------------------------------------------------------ time and seed

    @property
    def seed(self) -> int:
        return self._seed() if callable(self._seed) else self._seed

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopped = False
        self._stopping = asyncio.Event()
        self._sender = HttpSender(self.settings, self.transport)
        for key, queue in self._queues.items():
            if queue and key not in self._workers:
                self._spawn(key)

    async def stop(self) -> None:
        """Finish what can be finished within the grace period; abandon and report the rest."""
        self._stopped = True
        self._grace_ends = time.monotonic() + self.settings.shutdown_grace_seconds
        if self._stopping is not None:
            self._stopping.set()  # retry timers that cannot come due give up now
        workers = list(self._workers.values())
        if workers:
            _, late = await asyncio.wait(workers, timeout=self.settings.shutdown_grace_seconds)
            for task in late:
                task.cancel()
            if late:
                await asyncio.gather(*late, return_exceptions=True)
        self._abandon(
            list(self._open.values()),
            "the emulator shut down before the delivery finished",
        )
        self._queues.clear()
        self._workers.clear()
        if self._sender is not None:
            await self._sender.aclose()
        self._sender = None
        self._loop = None

    def _abandon(self, deliveries: list[Delivery], why: str) -> None:
        if not deliveries:
            return
        now = self._now()
        for d in deliveries:
            self._open.pop(d.id, None)
            d.status = "abandoned"
            d.note = why
            d.next_attempt_at = None
            d.finished_at = now
        log.warning(
            "%d callback deliveries abandoned (%s): %s",
            len(deliveries),
            why,
            ", ".join(f"{d.id} {d.event} session={d.session_id} url={d.url}" for d in deliveries),
        )

    # ------------------------------------------------------------------ enqueueing

    def _mint_id(self, api_key: str) -> str:
        # Per-tenant counter: a tenant's ids do not depend on other tenants' traffic
        # (parallel CI jobs sharing one emulator), and reset(api_key) replays them.
        with self._lock:
            n = self._counters.get(api_key, 0)
            while True:
                n += 1
                candidate = "cb_" + token(self.seed, "outbox", api_key, "delivery", n, length=16)
                if candidate not in self.log:
                    self._counters[api_key] = n
                    return candidate

    def enqueue(self, delivery: Delivery) -> Delivery:
        """Queue a delivery and return at once (no await, no I/O)."""
        loop = self._loop
        if loop is not None and not self._in_loop(loop):
            with self._lock:
                self._in_transit += 1
            loop.call_soon_threadsafe(self._accept_handed_over, delivery)
        else:
            self._accept(delivery)
        return delivery

    @staticmethod
    def _in_loop(loop: asyncio.AbstractEventLoop) -> bool:
        try:
            return asyncio.get_running_loop() is loop
        except RuntimeError:
            return False

    def _accept_handed_over(self, delivery: Delivery) -> None:
        with self._lock:
            self._in_transit -= 1
        self._accept(delivery)

    def _accept(self, delivery: Delivery) -> None:
        self.log.add(delivery)
        self._open[delivery.id] = delivery
        if self._stopped:
            self._abandon([delivery], "enqueued after the emulator shut down")
            return
        key = delivery.ordering_key
        self._queues.setdefault(key, deque()).append(delivery)
        if self._loop is not None and key not in self._workers:
            self._spawn(key)

    def _spawn(self, key: tuple[str, str]) -> None:
        assert self._loop is not None
        self._workers[key] = self._loop.create_task(
            self._drain(key), name=f"outbox {key[0][:8]}/{key[1]}"
        )

    # ------------------------------------------------------------------ delivering

    async def _drain(self, key: tuple[str, str]) -> None:
        """Deliver one session's queue, one delivery at a time (ordering, §4.6 issue 6)."""
        queue = self._queues.get(key)
        if queue is None:  # reset() dropped the session before this task ran
            return
        me = asyncio.current_task()
        try:
            while queue:
                delivery = queue[0]
                try:
                    await self._deliver(delivery)
                except Exception:  # a bug here must not kill the session's queue
                    log.exception("callback delivery %s crashed", delivery.id)
                    self._finish(delivery, "failed", "internal error in the outbox; see the log")
                if queue and queue[0] is delivery:
                    queue.popleft()
        finally:
            if self._workers.get(key) is me:
                del self._workers[key]
            if not queue and self._queues.get(key) is queue:
                del self._queues[key]

    def _closed(self, delivery: Delivery) -> None:
        self._open.pop(delivery.id, None)

    async def _wait(self, delivery: Delivery, delay: float) -> bool:
        due = time.monotonic() + delay
        stopping = self._stopping
        if stopping is None:
            await asyncio.sleep(delay)
            return True
        if not stopping.is_set():
            try:
                await asyncio.wait_for(stopping.wait(), delay)
            except TimeoutError:
                return True
        # Shutting down: a retry due after the grace period would only delay the exit.
        if due > self._grace_ends:
            return False
        await asyncio.sleep(max(due - time.monotonic(), 0.0))
        return True

    def _gave_up_waiting(self, delivery: Delivery) -> None:
        self._abandon([delivery], "the emulator shut down before its next retry was due")

    # ------------------------------------------------------------------ inspection

    def get(self, delivery_id: str) -> Delivery | None:
        return self.log.get(delivery_id)

    def deliveries(self, **filters: Unpack[DeliveryFilters]) -> list[Delivery]:
        """Logged deliveries matching every filter given, oldest first."""
        return self.log.query(**filters)

    def pending(self, api_key: str | None = None) -> int:
        """Deliveries not finished yet (queued, in flight or waiting to retry)."""
        with self._lock:
            in_transit = self._in_transit
        unfinished = sum(1 for d in self._open.values() if api_key in (None, d.api_key))
        return unfinished + in_transit

    async def flush(self, timeout: float | None = None, *, api_key: str | None = None) -> bool:
        """Wait until nothing is pending (for ``api_key`` only, if given); False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.pending(api_key):
            if deadline is not None and time.monotonic() >= deadline:
                return False
            await asyncio.sleep(self.flush_poll_seconds)
        return True

    def summary(self, api_key: str | None = None) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(STATUSES, 0)
        for d in self.log.values():
            if api_key in (None, d.api_key):
                counts[d.status] += 1
        return counts

    # ------------------------------------------------------------------ failure switch

    def set_failure_switch(self, switch: FailureSwitch) -> FailureSwitch:
        return self.switches.set(switch)

    def clear_failure_switch(self, api_key: str | None = None) -> bool:
        return self.switches.clear(api_key)

    def failure_switches(self) -> list[FailureSwitch]:
        return self.switches.all()

    # ------------------------------------------------------------------ clearing

    def clear(self, api_key: str | None = None) -> int:
        """Forget finished deliveries (all, or one tenant's); pending ones stay."""
        return self.log.remove(lambda d: d.finished and api_key in (None, d.api_key))

    def reset(self, api_key: str | None = None) -> None:
        """The ``Runtime.on_reset`` hook: drop a tenant's (or everyone's) deliveries --
        queued and in-flight ones are cancelled, not sent -- its ids and its switch."""
        loop = self._loop
        if loop is not None and not self._in_loop(loop) and loop.is_running():
            loop.call_soon_threadsafe(self.reset, api_key)
            return
        for key in [k for k in self._queues if api_key in (None, k[0])]:
            del self._queues[key]
            task = self._workers.pop(key, None)
            if task is not None:
                task.cancel()
        self.log.remove(lambda d: api_key in (None, d.api_key))
        for delivery_id in [i for i, d in self._open.items() if api_key in (None, d.api_key)]:
            del self._open[delivery_id]
        self.switches.reset(api_key)
        if api_key is None:
            self._counters.clear()
        else:
            self._counters.pop(api_key, None)
