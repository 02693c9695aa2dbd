"""Request-body limits, enforced while the body streams in.

A declared ``Content-Length`` over the cap is refused before one byte is read; a
chunked or lying body is counted as it arrives and cut off at the cap, so one request
never makes the server hold more than the cap (asleep-api.md §2.4: Asleep answers 413
``HTTP length exceeded 16777216 bytes``). Time is bounded twice: a client that stalls
mid-body gets a 408 once ``body_timeout`` passes without a byte, and one that trickles
(a byte now and then, never stalling) gets it once ``body_deadline`` has passed since
the request began.

Memory is bounded over all requests too: a ``BodyBudget`` counts the body bytes the
requests in flight hold, and a request that would take it past its capacity is
answered 503 with ``Retry-After`` (before its body is read when its length is
declared). A route that keeps the body on disk while it streams says so with
``spool(scope)``; such a request is charged at most ``SPOOL_BYTES``. A client that
goes away mid-body is a debug line, not a crash.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.core.errors import EmulatorError, ErrorShape

log = logging.getLogger("emulator.core.limits")

Render = Callable[[Scope, EmulatorError], ASGIApp]
# What a spooled body keeps in memory: Starlette's multipart parser moves a file part
# to a temporary file once it passes 1 MiB (``UploadFile`` spool size).
SPOOL_BYTES: Final = 1024 * 1024
RETRY_AFTER_SECONDS: Final = 1
_CHARGE: Final = "emulator.body_charge"


class BodyBudget:
    """Body bytes held by the requests in flight, over all of them, and the cap."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.used = 0
        self.peak = 0
        self.refused = 0

    def take(self, size: int) -> bool:
        if self.used + size > self.capacity:
            self.refused += 1
            return False
        self.used += size
        self.peak = max(self.peak, self.used)
        return True

    def give(self, size: int) -> None:
        self.used -= size


@dataclass(slots=True)
class _Charge:
    """One request's share of the budget: what it took and the most it may be charged."""

    cap: int
    taken: int = 0


def spool(scope: Scope) -> None:
    """Tell the limits that this request's body goes to disk as it streams (charged at
    most ``SPOOL_BYTES``). Call it before reading the body."""
    charge = scope.get(_CHARGE)
    if isinstance(charge, _Charge):
        charge.cap = min(charge.cap, SPOOL_BYTES)


@dataclass(frozen=True, slots=True)
class BodyPolicy:
    """How a path's bodies are bounded: the cap and the shape its errors take."""

    limit: int
    shape: ErrorShape


@dataclass(eq=False)
class BodyLimitMiddleware:
    app: ASGIApp
    limit_for: Callable[[str], BodyPolicy]
    render: Render
    body_timeout: float
    body_deadline: float
    budget: BodyBudget

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared, chunked = _body_headers(scope)
        if not declared and not chunked:
            # No body is coming (RFC 9112 §6.3): nothing to count or to wait for. Most
            # requests are like this (every GET), so they skip the wrapping below.
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        policy = self.limit_for(path)
        if declared is not None and declared > policy.limit:
            exc = policy.shape.payload_too_large(path, policy.limit)
            await self.render(scope, exc)(scope, receive, send)
            return
        charge = scope[_CHARGE] = _Charge(policy.limit)
        counter = _Counter(self, scope, receive, policy, declared, charge)
        try:
            await self.app(scope, counter.receive, send)
        except ClientDisconnect:
            log.debug("%s %s: the client went away mid-body", scope["method"], path)
        finally:
            self.budget.give(charge.taken)
            charge.taken = 0


class _Counter:
    """The ``receive`` a request's app gets: counts, charges and times its body."""

    def __init__(
        self,
        limits: BodyLimitMiddleware,
        scope: Scope,
        receive: Receive,
        policy: BodyPolicy,
        declared: int | None,
        charge: _Charge,
    ) -> None:
        self.limits = limits
        self.path: str = scope["path"]
        self.inner = receive
        self.policy = policy
        self.declared = declared
        self.charge = charge
        self.deadline = time.monotonic() + limits.body_deadline
        self.received = 0
        self.complete = False
        self.started = False

    async def receive(self) -> Message:
        if self.complete:
            # After the body only ``http.disconnect`` is left, and waiting for it
            # is no stall: pass it through untimed.
            return await self.inner()
        shape = self.policy.shape
        if not self.started:
            self.started = True
            if self.declared is not None:
                # The whole declared body at once: refused before any of it is read.
                self._charge(self.declared)
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise shape.request_timeout(self.path)
        try:
            message = await asyncio.wait_for(self.inner(), min(self.limits.body_timeout, left))
        except TimeoutError:
            raise shape.request_timeout(self.path) from None
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.policy.limit:
                raise shape.payload_too_large(self.path, self.policy.limit)
            self._charge(self.received)
            self.complete = not message.get("more_body", False)
        return message

    def _charge(self, size: int) -> None:
        """Hold ``size`` body bytes (at most the charge's cap) against the budget."""
        wanted = min(size, self.charge.cap)
        if wanted <= self.charge.taken:
            return
        extra = wanted - self.charge.taken
        if not self.limits.budget.take(extra):
            # The vendor's own 503 body, as a throttling fault rule answers it.
            exc = self.policy.shape.custom(self.path, 503, None)
            exc.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            raise exc
        self.charge.taken = wanted


def _body_headers(scope: Scope) -> tuple[int | None, bool]:
    """The declared ``Content-Length`` (None if absent or unreadable) and whether the
    body is chunked (any ``Transfer-Encoding``)."""
    declared: int | None = None
    chunked = False
    for key, value in scope.get("headers", ()):
        if key == b"content-length":
            try:
                declared = int(value)
            except ValueError:
                declared = None
                chunked = True  # unreadable: count what arrives rather than trust it
        elif key == b"transfer-encoding":
            chunked = True
    return declared, chunked
