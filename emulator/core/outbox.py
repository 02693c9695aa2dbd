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
  are marked ``abandoned`` and listed in a warning -- never dropped silently.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, Literal, get_args

from emulator import __version__
from emulator.core import lazy
from emulator.core.randomness import derive, token
from emulator.settings import WebhookSettings

if TYPE_CHECKING:
    import httpx
else:
    # httpx costs ~90 ms to import; only the first delivery needs it.
    httpx = lazy.module("httpx")

if TYPE_CHECKING:
    from emulator.core.clock import Clock
    from emulator.core.runtime import Runtime

log = logging.getLogger("emulator.core.outbox")

Status = Literal["pending", "delivering", "delivered", "failed", "abandoned"]
STATUSES: Final[tuple[Status, ...]] = get_args(Status)
FINAL: Final[frozenset[Status]] = frozenset({"delivered", "failed", "abandoned"})
FailMode = Literal["drop", "duplicate", "fail_after_send"]
FAIL_MODES: Final[tuple[FailMode, ...]] = get_args(FailMode)
ErrorKind = Literal["connect", "timeout", "http_status", "transport", "invalid_url", "injected"]

USER_AGENT: Final = f"vendor-emulator/{__version__} (webhook)"
RESPONSE_EXCERPT_BYTES: Final = 512
_FLUSH_POLL_SECONDS: Final = 0.005
_MAX_EXPONENT: Final = 62  # 2**62 * any sane base is far past every cap; avoids float overflow

RenderTime = Callable[[float], str]


def iso_time(ts: float) -> str:
    """A virtual-clock timestamp as ISO 8601 UTC (as the request journal renders it)."""
    return datetime.fromtimestamp(ts, UTC).isoformat()


# --------------------------------------------------------------------------- schedule


def backoff_delay(settings: WebhookSettings, seed: int, delivery_id: str, attempt: int) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1-based) before the next one.

    ``min(base * 2**(attempt-1), max) * (1 + jitter_ratio * u)`` with ``u`` in [0, 1)
    derived from (seed, delivery id, attempt): jitter keeps many failing sessions
    from retrying in lock-step, the seed keeps the schedule reproducible.
    """
    if attempt < 1:
        raise ValueError("attempts are numbered from 1")
    step = settings.backoff_base_seconds * 2.0 ** min(attempt - 1, _MAX_EXPONENT)
    capped = min(step, settings.backoff_max_seconds)
    u = derive(seed, "outbox", "jitter", delivery_id, attempt) / 2.0**64
    return capped * (1.0 + settings.jitter_ratio * u)


def retry_schedule(settings: WebhookSettings, seed: int, delivery_id: str) -> list[float]:
    """The waits before attempts 2 .. ``max_attempts`` of one delivery."""
    return [backoff_delay(settings, seed, delivery_id, n) for n in range(1, settings.max_attempts)]


def _validate(settings: WebhookSettings) -> None:
    if settings.timeout_seconds <= 0:
        raise ValueError("webhooks.timeout_seconds must be positive")
    if settings.max_attempts < 1:
        raise ValueError("webhooks.max_attempts must be at least 1")
    if settings.backoff_base_seconds < 0 or settings.backoff_max_seconds < 0:
        raise ValueError("webhooks backoff must not be negative")
    if settings.jitter_ratio < 0:
        raise ValueError("webhooks.jitter_ratio must not be negative")
    if settings.concurrency < 1:
        raise ValueError("webhooks.concurrency must be at least 1")
    if settings.log_size < 1:
        raise ValueError("webhooks.log_size must be at least 1")
    if settings.shutdown_grace_seconds < 0:
        raise ValueError("webhooks.shutdown_grace_seconds must not be negative")


# --------------------------------------------------------------------------- values


@dataclass(slots=True)
class Attempt:
    """One HTTP call (or one the failure switch pretended to make)."""

    number: int
    time: float  # virtual clock, when the attempt started
    latency_ms: float  # real (monotonic) time from start to outcome
    outcome: Literal["delivered", "failed"]
    status: int | None = None  # HTTP status received, if any
    error: str | None = None
    error_kind: ErrorKind | None = None
    injected: FailMode | None = None  # the failure-switch mode that shaped this attempt
    duplicate: bool = False  # the second send of mode "duplicate"
    retry_in_seconds: float | None = None  # the backoff scheduled after this attempt
    response_excerpt: str | None = None

    def to_json(self, render_time: RenderTime = iso_time) -> dict[str, Any]:
        return {
            "attempt": self.number,
            "time": render_time(self.time),
            "latency_ms": round(self.latency_ms, 3),
            "outcome": self.outcome,
            "status": self.status,
            "error": self.error,
            "error_kind": self.error_kind,
            "injected": self.injected,
            "duplicate": self.duplicate,
            "retry_in_seconds": (
                None if self.retry_in_seconds is None else round(self.retry_in_seconds, 6)
            ),
            "response_excerpt": self.response_excerpt,
        }


@dataclass(slots=True, eq=False)
class Delivery:
    """One callback to one URL, with its attempt history. The body is serialised once."""

    id: str
    api_key: str
    session_id: str
    user_id: str
    event: str
    url: str
    headers: Mapping[str, str]
    body: bytes
    created_at: float  # virtual clock
    redelivery_of: str | None = None
    status: Status = "pending"
    attempts: list[Attempt] = field(default_factory=list)
    next_attempt_at: float | None = None  # virtual clock, while waiting to retry
    finished_at: float | None = None
    note: str | None = None  # why it failed or was abandoned

    @property
    def ordering_key(self) -> tuple[str, str]:
        """Deliveries with the same key go out one at a time, in enqueue order."""
        return (self.api_key, self.session_id)

    @property
    def finished(self) -> bool:
        return self.status in FINAL

    def json_body(self) -> Any:
        """The body as JSON (or as text if it is not JSON)."""
        try:
            return json.loads(self.body)
        except ValueError:
            return self.body.decode("utf-8", "replace")

    def to_json(self, render_time: RenderTime = iso_time) -> dict[str, Any]:
        return {
            "id": self.id,
            "api_key": self.api_key,
            "session_id": self.session_id,
            "user_id": self.user_id,
            "event": self.event,
            "url": self.url,
            "status": self.status,
            "created_at": render_time(self.created_at),
            "finished_at": None if self.finished_at is None else render_time(self.finished_at),
            "next_attempt_at": (
                None if self.next_attempt_at is None else render_time(self.next_attempt_at)
            ),
            "redelivery_of": self.redelivery_of,
            "note": self.note,
            "attempt_count": len([a for a in self.attempts if not a.duplicate]),
            "attempts": [a.to_json(render_time) for a in self.attempts],
            "headers": dict(self.headers),
            "body": self.json_body(),
        }


@dataclass(slots=True)
class FailureSwitch:
    """Makes the emulator's own deliveries misbehave, to test a receiver's idempotency.

    * ``drop``: the attempt is not sent and counts as failed (the receiver sees the
      event late, after the retries, or never if the switch outlasts them);
    * ``fail_after_send``: the attempt is sent, then treated as failed whatever the
      receiver answered, so it is retried: the receiver gets the same body twice;
    * ``duplicate``: a successful attempt is sent a second time at once.

    ``remaining`` counts the attempts the switch still affects (None: until switched
    off); ``api_key`` limits it to one tenant (None: every tenant without its own
    switch), ``event`` to one event name.
    """

    mode: FailMode
    remaining: int | None = None
    api_key: str | None = None
    event: str | None = None

    def __post_init__(self) -> None:
        if self.mode not in FAIL_MODES:
            raise ValueError(f"mode must be one of {', '.join(FAIL_MODES)}")
        if self.remaining is not None and self.remaining < 1:
            raise ValueError("remaining must be at least 1 (or null for no limit)")

    def matches(self, delivery: Delivery) -> bool:
        return self.event is None or self.event == delivery.event

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "remaining": self.remaining,
            "api_key": self.api_key,
            "event": self.event,
        }


class DeliveryLog:
    """Every delivery, oldest first, bounded: the oldest *finished* ones are evicted first;
    a delivery still pending is never evicted (it would vanish without a trace)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[str, Delivery] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, delivery_id: object) -> bool:
        return delivery_id in self._items

    def add(self, delivery: Delivery) -> None:
        self._items[delivery.id] = delivery
        if len(self._items) > self.capacity:
            excess = len(self._items) - self.capacity
            for old in [d for d in self._items.values() if d.finished][:excess]:
                del self._items[old.id]

    def get(self, delivery_id: str) -> Delivery | None:
        return self._items.get(delivery_id)

    def values(self) -> list[Delivery]:
        return list(self._items.values())

    def query(
        self,
        *,
        api_key: str | None = None,
        session_id: str | None = None,
        user_id: str | None = None,
        event: str | None = None,
        status: str | None = None,
        limit: int | None = None,
    ) -> list[Delivery]:
        found: Iterable[Delivery] = self._items.values()
        if api_key is not None:
            found = (d for d in found if d.api_key == api_key)
        if session_id is not None:
            found = (d for d in found if d.session_id == session_id)
        if user_id is not None:
            found = (d for d in found if d.user_id == user_id)
        if event is not None:
            found = (d for d in found if d.event == event)
        if status is not None:
            found = (d for d in found if d.status == status)
        result = list(found)
        return result[-limit:] if limit else result

    def remove(self, predicate: Callable[[Delivery], bool]) -> int:
        doomed = [key for key, d in self._items.items() if predicate(d)]
        for key in doomed:
            del self._items[key]
        return len(doomed)


# --------------------------------------------------------------------------- the outbox


class Outbox:
    """Queues, sends, retries and records callbacks; a Runtime ``Service``.

    Create it with the app (``install``); ``start``/``stop`` run with the app's
    lifespan.  ``enqueue`` may be called from the event loop (request handlers) or
    from another thread (it is handed over to the loop).  Deliveries enqueued before
    ``start`` wait for it.
    """

    def __init__(
        self,
        settings: WebhookSettings | None = None,
        *,
        clock: Clock | None = None,
        seed: int | Callable[[], int] = 0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings or WebhookSettings()
        _validate(self.settings)
        self._clock = clock
        self._seed = seed
        # Read at ``start``: tests may swap it in before the app starts.
        self.transport = transport
        self.log = DeliveryLog(self.settings.log_size)
        self._queues: dict[tuple[str, str], deque[Delivery]] = {}
        self._workers: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._counters: dict[str, int] = {}
        self._switches: dict[str | None, FailureSwitch] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: httpx.AsyncClient | None = None
        self._semaphore: asyncio.Semaphore | None = None
        self._stopped = False
        # Deliveries handed over from another thread but not yet in the log (see flush).
        self._in_transit = 0
        self._lock = threading.Lock()  # guards _in_transit and id minting across threads
        # Unfinished deliveries by id: what flush() and pending() look at (not the whole log).
        self._open: dict[str, Delivery] = {}

    # ------------------------------------------------------------------ time and seed

    @property
    def seed(self) -> int:
        return self._seed() if callable(self._seed) else self._seed

    def _now(self) -> float:
        return self._clock.timestamp() if self._clock is not None else time.time()

    def retry_delay(self, delivery_id: str, attempt: int) -> float:
        """``backoff_delay`` with this outbox's settings and seed."""
        return backoff_delay(self.settings, self.seed, delivery_id, attempt)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopped = False
        self._semaphore = asyncio.Semaphore(self.settings.concurrency)
        for key, queue in self._queues.items():
            if queue and key not in self._workers:
                self._spawn(key)

    async def stop(self) -> None:
        """Finish what can be finished within the grace period; abandon and report the rest."""
        self._stopped = True
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
        if self._client is not None:
            await self._client.aclose()
        self._client = None
        self._semaphore = None
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

    def new_delivery(
        self,
        *,
        api_key: str,
        session_id: str,
        user_id: str,
        event: str,
        url: str,
        body: Mapping[str, Any] | bytes,
        headers: Mapping[str, str],
        redelivery_of: str | None = None,
    ) -> Delivery:
        """A delivery with a fresh id; ``body`` is serialised here, once.

        JSON is written compactly (``,``/``:`` separators, UTF-8), as httpx's and
        FastAPI's encoders do; the vendor's byte layout is not documented.
        """
        raw = (
            body
            if isinstance(body, bytes)
            else json.dumps(
                body, ensure_ascii=False, allow_nan=False, separators=(",", ":")
            ).encode()
        )
        return Delivery(
            id=self._mint_id(api_key),
            api_key=api_key,
            session_id=session_id,
            user_id=user_id,
            event=event,
            url=url,
            headers=dict(headers),
            body=raw,
            created_at=self._now(),
            redelivery_of=redelivery_of,
        )

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

    def submit(
        self,
        *,
        api_key: str,
        session_id: str,
        user_id: str,
        event: str,
        url: str,
        body: Mapping[str, Any] | bytes,
        headers: Mapping[str, str],
    ) -> Delivery:
        """``enqueue(new_delivery(...))``: what event emitters call."""
        return self.enqueue(
            self.new_delivery(
                api_key=api_key,
                session_id=session_id,
                user_id=user_id,
                event=event,
                url=url,
                body=body,
                headers=headers,
            )
        )

    def redeliver(self, delivery_id: str) -> Delivery:
        """Send a logged delivery again: a new delivery (new id, fresh attempts, same URL,
        headers and body) linked to the original, queued behind its session's events."""
        original = self.log.get(delivery_id)
        if original is None:
            raise KeyError(delivery_id)
        copy = self.new_delivery(
            api_key=original.api_key,
            session_id=original.session_id,
            user_id=original.user_id,
            event=original.event,
            url=original.url,
            body=original.body,
            headers=original.headers,
            redelivery_of=original.id,
        )
        return self.enqueue(copy)

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

    def _finish(self, delivery: Delivery, status: Status, note: str | None = None) -> None:
        self._open.pop(delivery.id, None)
        delivery.status = status
        delivery.note = note
        delivery.next_attempt_at = None
        delivery.finished_at = self._now()

    async def _deliver(self, delivery: Delivery) -> None:
        max_attempts = self.settings.max_attempts
        first = len([a for a in delivery.attempts if not a.duplicate]) + 1
        for number in range(first, max_attempts + 1):
            delivery.status = "delivering"
            delivery.next_attempt_at = None
            attempt = await self._attempt(delivery, number)
            if attempt.outcome == "delivered":
                self._finish(delivery, "delivered")
                return
            if attempt.error_kind == "invalid_url":
                self._finish(delivery, "failed", "the callback URL cannot be used; not retried")
                return
            if number == max_attempts:
                break
            delay = self.retry_delay(delivery.id, number)
            attempt.retry_in_seconds = delay
            delivery.status = "pending"
            delivery.next_attempt_at = self._now() + delay
            # Real time on purpose (module docstring): the receiver lives on it.
            await asyncio.sleep(delay)
        self._finish(delivery, "failed", f"gave up after {max_attempts} attempts")

    def _switch_for(self, delivery: Delivery) -> FailureSwitch | None:
        switch = self._switches.get(delivery.api_key) or self._switches.get(None)
        return switch if switch is not None and switch.matches(delivery) else None

    def _consume(self, switch: FailureSwitch) -> None:
        if switch.remaining is None:
            return
        switch.remaining -= 1
        if switch.remaining <= 0 and self._switches.get(switch.api_key) is switch:
            del self._switches[switch.api_key]

    async def _attempt(self, delivery: Delivery, number: int) -> Attempt:
        switch = self._switch_for(delivery)
        mode = switch.mode if switch is not None else None
        started_at = self._now()
        if switch is not None and mode == "drop":
            self._consume(switch)
            attempt = Attempt(
                number,
                started_at,
                0.0,
                "failed",
                error="dropped by the failure switch (mode drop): not sent",
                error_kind="injected",
                injected="drop",
            )
            delivery.attempts.append(attempt)
            return attempt
        attempt = await self._send(delivery, number, started_at)
        if switch is not None and mode == "fail_after_send":
            self._consume(switch)
            attempt.injected = "fail_after_send"
            if attempt.outcome == "delivered":
                attempt.outcome = "failed"
                attempt.error = "sent, then treated as failed by the failure switch"
                attempt.error_kind = "injected"
        delivery.attempts.append(attempt)
        if switch is not None and mode == "duplicate" and attempt.outcome == "delivered":
            self._consume(switch)
            attempt.injected = "duplicate"
            again = await self._send(delivery, number, self._now())
            again.injected = "duplicate"
            again.duplicate = True
            delivery.attempts.append(again)
        return attempt

    def _http(self) -> httpx.AsyncClient:
        """The shared client, made on the first delivery: importing httpx and building
        a client cost ~0.1 s, which would otherwise come out of every start-up."""
        if self._client is None:
            self._client = httpx.AsyncClient(
                transport=self.transport,
                timeout=httpx.Timeout(self.settings.timeout_seconds),
                limits=httpx.Limits(
                    max_connections=self.settings.concurrency,
                    max_keepalive_connections=self.settings.concurrency,
                ),
                follow_redirects=False,
                headers={"User-Agent": USER_AGENT},
            )
        return self._client

    async def _send(self, delivery: Delivery, number: int, started_at: float) -> Attempt:
        semaphore = self._semaphore
        if semaphore is None:
            raise RuntimeError("the outbox is not running")
        client = self._http()
        timeout = self.settings.timeout_seconds
        async with semaphore:
            t0 = time.perf_counter()
            status: int | None = None
            excerpt: str | None = None
            error: str | None = None
            kind: ErrorKind | None = None
            try:
                # httpx's timeout is per phase; this one bounds the whole call.
                async with asyncio.timeout(timeout):
                    request = client.build_request(
                        "POST", delivery.url, content=delivery.body, headers=delivery.headers
                    )
                    response = await client.send(request, stream=True)
                    try:
                        status = response.status_code
                        excerpt = await _excerpt(response)
                    finally:
                        await response.aclose()
            except (TimeoutError, httpx.TimeoutException):
                error, kind = f"no response within {timeout:g} s", "timeout"
            except httpx.ConnectError as exc:
                error, kind = f"connection failed: {_root_cause(exc)}", "connect"
            except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
                error, kind = f"invalid callback URL: {exc}", "invalid_url"
            except httpx.HTTPError as exc:
                error, kind = f"{type(exc).__name__}: {exc}", "transport"
            latency_ms = (time.perf_counter() - t0) * 1000
        if error is None and status is not None and not 200 <= status < 300:
            error, kind = f"receiver answered HTTP {status}", "http_status"
        return Attempt(
            number,
            started_at,
            latency_ms,
            "delivered" if error is None else "failed",
            status=status,
            error=error,
            error_kind=kind,
            response_excerpt=excerpt,
        )

    # ------------------------------------------------------------------ inspection

    def get(self, delivery_id: str) -> Delivery | None:
        return self.log.get(delivery_id)

    def deliveries(
        self,
        *,
        api_key: str | None = None,
        session_id: str | None = None,
        user_id: str | None = None,
        event: str | None = None,
        status: str | None = None,
        limit: int | None = None,
    ) -> list[Delivery]:
        """Logged deliveries matching every filter given, oldest first."""
        return self.log.query(
            api_key=api_key,
            session_id=session_id,
            user_id=user_id,
            event=event,
            status=status,
            limit=limit,
        )

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
            await asyncio.sleep(_FLUSH_POLL_SECONDS)
        return True

    def summary(self, api_key: str | None = None) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(STATUSES, 0)
        for d in self.log.values():
            if api_key in (None, d.api_key):
                counts[d.status] += 1
        return counts

    # ------------------------------------------------------------------ failure switch

    def set_failure_switch(self, switch: FailureSwitch) -> FailureSwitch:
        self._switches[switch.api_key] = replace(switch)
        return self._switches[switch.api_key]

    def clear_failure_switch(self, api_key: str | None = None) -> bool:
        return self._switches.pop(api_key, None) is not None

    def failure_switches(self) -> list[FailureSwitch]:
        return list(self._switches.values())

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
        if api_key is None:
            self._counters.clear()
            self._switches.clear()
        else:
            self._counters.pop(api_key, None)
            self._switches.pop(api_key, None)


def _root_cause(exc: BaseException) -> str:
    """The most specific reason behind a connection error: httpx says "All connection
    attempts failed"; the OSError under it says "[Errno 111] Connect call failed ..."."""
    found: BaseException = exc
    current: BaseException = exc
    for _ in range(10):  # the chain is short; the bound only guards against cycles
        below = current.__cause__ or current.__context__
        if below is None:
            break
        current = below
        if isinstance(current, OSError) and current.errno is not None:
            found = current
    return str(found) or type(found).__name__


async def _excerpt(response: httpx.Response) -> str | None:
    """The first bytes of the receiver's answer, for the log; never the whole body."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= RESPONSE_EXCERPT_BYTES:
            break
    if not chunks:
        return None
    return b"".join(chunks)[:RESPONSE_EXCERPT_BYTES].decode("utf-8", "replace")


SCENARIO: Final[dict[str, Any]] = {
    "api": "asleep",
    "name": "callback-failures",
    "kind": "control",
    "description": (
        "Make the emulator's own webhook deliveries misbehave to test a receiver's "
        "idempotency: drop (not sent, retried later), fail_after_send (sent, then "
        "retried: the receiver sees duplicates) or duplicate (every success sent twice)."
    ),
    "example": (
        "PUT /_emulator/callbacks/failures "
        '{"mode": "fail_after_send", "remaining": 1, "api_key": "my-key"}'
    ),
}


def install(rt: Runtime, *, transport: httpx.AsyncBaseTransport | None = None) -> Outbox:
    """Create the app's outbox and wire it: service, ``extras["outbox"]``, reset hook,
    and the failure-switch scenario in ``GET /_emulator/scenarios``."""
    outbox = Outbox(
        rt.settings.webhooks,
        clock=rt.clock,
        seed=lambda: rt.store.seed,
        transport=transport,
    )
    rt.services.append(outbox)
    rt.extras["outbox"] = outbox
    rt.on_reset.append(outbox.reset)
    rt.extras.setdefault("scenarios", []).append(SCENARIO)
    return outbox
