"""Making and delivering callbacks: ids and bodies, attempts, waits, the failure switch.

``DeliveryLoop`` is the part of the outbox that sends (``outbox.Outbox`` for one
process, ``shared.SharedOutbox`` across replicas): attempts up to ``max_attempts``,
seeded backoff between them on real time, the failure switch shaping attempts. The
two outboxes differ only in the hooks: ``_persist`` (the shared one writes the
delivery's state to Redis after every step, and stops if another replica took the
delivery over) and ``_wait`` (how a retry timer meets a shutdown).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from emulator.core.outbox.records import Attempt, Delivery, Status, encode_body
from emulator.core.outbox.schedule import WebhookSettings, backoff_delay

if TYPE_CHECKING:
    from emulator.core.clock import Clock
    from emulator.core.outbox.http import HttpSender
    from emulator.core.outbox.switches import Switches

log = logging.getLogger("emulator.core.outbox")


class NewDelivery(TypedDict):
    """What an event emitter says about a delivery (``DeliveryLoop.submit``)."""

    api_key: str
    session_id: str
    user_id: str
    event: str
    url: str
    body: Mapping[str, Any] | bytes
    headers: Mapping[str, str]


class Handover(Exception):
    """Stop working on a delivery and leave it as it is: another process goes on with it."""


class DeliveryLoop:
    """Sends deliveries; the outbox classes supply the state and the hooks below."""

    settings: WebhookSettings
    switches: Switches
    _clock: Clock | None
    _sender: HttpSender | None

    # ------------------------------------------------------------------ hooks
    @property
    def seed(self) -> int:
        raise NotImplementedError

    def _persist(self, delivery: Delivery) -> None:
        """The delivery's state changed (shared outbox: write it; Handover if not ours)."""

    async def _wait(self, delivery: Delivery, delay: float) -> bool:
        """Wait ``delay`` real seconds before a retry; False: give up waiting (shutdown)."""
        raise NotImplementedError

    def _gave_up_waiting(self, delivery: Delivery) -> None:
        """``_wait`` said False: what becomes of the delivery."""

    def _closed(self, delivery: Delivery) -> None:
        """The delivery is finished (delivered, failed or abandoned)."""

    def _mint_id(self, api_key: str) -> str:
        raise NotImplementedError

    def enqueue(self, delivery: Delivery) -> Delivery:
        raise NotImplementedError

    def get(self, delivery_id: str) -> Delivery | None:
        raise NotImplementedError

    # ------------------------------------------------------------------ making
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
        raw = body if isinstance(body, bytes) else encode_body(body)
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

    def submit(self, **fields: Unpack[NewDelivery]) -> Delivery:
        """``enqueue(new_delivery(...))``: what event emitters call."""
        return self.enqueue(self.new_delivery(**fields))

    def redeliver(self, delivery_id: str) -> Delivery:
        """Send a logged delivery again: a new delivery (new id, fresh attempts, same URL,
        headers and body) linked to the original, queued behind its session's events."""
        original = self.get(delivery_id)
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

    # ------------------------------------------------------------------ time
    def _now(self) -> float:
        return self._clock.timestamp() if self._clock is not None else time.time()

    def retry_delay(self, delivery_id: str, attempt: int) -> float:
        """``backoff_delay`` with this outbox's settings and seed."""
        return backoff_delay(self.settings, self.seed, delivery_id, attempt)

    # ------------------------------------------------------------------ delivering
    def _finish(self, delivery: Delivery, status: Status, note: str | None = None) -> None:
        delivery.status = status
        delivery.note = note
        delivery.next_attempt_at = None
        delivery.finished_at = self._now()
        self._closed(delivery)

    async def _deliver(self, delivery: Delivery) -> None:
        max_attempts = self.settings.max_attempts
        first = len([a for a in delivery.attempts if not a.duplicate]) + 1
        for number in range(first, max_attempts + 1):
            delivery.status = "delivering"
            delivery.next_attempt_at = None
            self._persist(delivery)
            attempt = await self._attempt(delivery, number)
            if attempt.outcome == "delivered":
                self._finish(delivery, "delivered")
                return
            if attempt.error_kind == "invalid_url":
                self._finish(delivery, "failed", "the callback URL cannot be used; not retried")
                return
            if number == max_attempts:
                break
            if not await self._retry_later(delivery, number, attempt):
                return
        self._finish(delivery, "failed", f"gave up after {max_attempts} attempts")

    async def _retry_later(self, delivery: Delivery, number: int, attempt: Attempt) -> bool:
        """Schedule and wait for the retry after failed attempt ``number``."""
        delay = self.retry_delay(delivery.id, number)
        attempt.retry_in_seconds = delay
        delivery.status = "pending"
        delivery.next_attempt_at = self._now() + delay
        delivery.due = time.time() + delay
        self._persist(delivery)
        # Real time on purpose (outbox module doc): the receiver lives on it.
        if await self._wait(delivery, delay):
            return True
        self._gave_up_waiting(delivery)
        return False

    async def _send(self, delivery: Delivery, number: int, started_at: float) -> Attempt:
        if self._sender is None:
            raise RuntimeError("the outbox is not running")
        return await self._sender.send(delivery, number, started_at)

    async def _attempt(self, delivery: Delivery, number: int) -> Attempt:
        switch = self.switches.for_delivery(delivery)
        mode = switch.mode if switch is not None else None
        started_at = self._now()
        if switch is not None and mode == "drop":
            self.switches.consume(switch)
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
            self.switches.consume(switch)
            attempt.injected = "fail_after_send"
            if attempt.outcome == "delivered":
                attempt.outcome = "failed"
                attempt.error = "sent, then treated as failed by the failure switch"
                attempt.error_kind = "injected"
        delivery.attempts.append(attempt)
        if switch is not None and mode == "duplicate" and attempt.outcome == "delivered":
            self.switches.consume(switch)
            attempt.injected = "duplicate"
            again = await self._send(delivery, number, self._now())
            again.injected = "duplicate"
            again.duplicate = True
            delivery.attempts.append(again)
        return attempt
