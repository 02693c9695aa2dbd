"""The request plumbing of a replica: freshness first, each request a transaction.

``FreshnessMiddleware`` (outermost) brings the process up to date before anything
reads state; ``TransactionMiddleware`` (innermost) runs the handler as a
``Transaction``, holds the answer back until it committed, and runs the handler again
from the recorded body (``RecordedBody``) when the commit conflicted
(``emulator.core.shared.transaction`` says why).
"""

from __future__ import annotations

import asyncio
import logging
import random
import tempfile
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.core.headers import header
from emulator.core.shared.transaction import (
    CURRENT,
    FRESH,
    MAX_ATTEMPTS,
    Conflict,
    Transaction,
    Unavailable,
)

if TYPE_CHECKING:
    from emulator.core.shared.store import SharedStore

log = logging.getLogger("emulator.core.shared.transaction")

_SPOOL_BYTES: Final = 1024 * 1024  # recorded bodies above this go to a temporary file


class RecordedBody:
    """The request body as it arrives, kept so that a re-run reads it again."""

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        # Body messages as (more_body, offset in the spool, size).
        self._messages: list[tuple[bool, int, int]] = []
        self._spool: tempfile.SpooledTemporaryFile[bytes] | None = None  # made on the first byte
        self._done = False

    def reader(self) -> Receive:
        """A ``receive`` for one attempt: what was recorded, then the rest, recorded."""
        position = 0

        async def receive() -> Message:
            nonlocal position
            if position < len(self._messages):
                kept = self._messages[position]
                position += 1
                return self._replay(kept)
            if self._done:
                return await self._receive()  # after the body: the disconnect, if any
            message = await self._receive()
            if message["type"] == "http.request":
                body: bytes = message.get("body", b"")
                spool = self._spool
                if spool is None:
                    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115
                    self._spool = spool  # closed by close()
                start = spool.tell()
                spool.write(body)
                more = bool(message.get("more_body", False))
                self._messages.append((more, start, len(body)))
                self._done = not more
                position += 1
            return message

        return receive

    def _replay(self, kept: tuple[bool, int, int]) -> Message:
        more, start, size = kept
        spool = self._spool
        body = b""
        if spool is not None:
            end = spool.tell()
            spool.seek(start)
            body = spool.read(size)
            spool.seek(end)
        return {"type": "http.request", "body": body, "more_body": more}

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()


class _Gate:
    """Holds the response back until the transaction committed (or throws it away)."""

    def __init__(self, tx: Transaction, send: Send) -> None:
        self.tx = tx
        self._send = send
        self.started = False
        self.failed: Conflict | Unavailable | None = None

    async def send(self, message: Message) -> None:
        if not self.started and message["type"] == "http.response.start":
            tx = self.tx
            if tx.dirty or tx.after:  # a read-only request has nothing to commit
                token = CURRENT.set(None)
                try:
                    await tx.commit_async()
                except (Conflict, Unavailable) as exc:
                    self.failed = exc
                    tx.rollback()
                    return
                finally:
                    CURRENT.reset(token)
            self.started = True
        if self.failed is None:
            await self._send(message)


class _SharedWorldMiddleware:
    """A middleware over the shared store; ``unavailable(path, why)`` renders its 503."""

    def __init__(
        self,
        app: ASGIApp,
        store: SharedStore,
        unavailable: Callable[[str, str], Response],
    ) -> None:
        self.app = app
        self.store = store
        self.unavailable = unavailable


class TransactionMiddleware(_SharedWorldMiddleware):
    """Runs each request as a ``Transaction``; re-runs it on a conflict (module doc).

    The innermost middleware: only the router runs again. ``unavailable(path, why)``
    renders the 503 answered when Redis cannot be used or conflicts never end.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = RecordedBody(receive)
        try:
            await self._attempts(scope, body, send)
        finally:
            body.close()

    async def _attempts(self, scope: Scope, body: RecordedBody, send: Send) -> None:
        path: str = scope["path"]
        synced = FRESH.get()
        for attempt in range(1, MAX_ATTEMPTS + 1):
            tx = Transaction(self.store, synced)
            synced = None  # a re-run syncs again: the conflict came from outside
            outcome = await self._attempt(scope, body, send, tx)
            if outcome is None:
                return
            if isinstance(outcome, Unavailable):
                await self.unavailable(path, outcome.message)(scope, body.reader(), send)
                return
            # Conflict: back off a little (jittered, growing) and run again.
            log.debug(
                "%s %s: another replica changed its rows; running it again", scope["method"], path
            )
            await asyncio.sleep(random.uniform(0, 0.002 * attempt))
        log.warning("%s %s: still conflicting after %d attempts", scope["method"], path, attempt)
        why = "the shared state kept changing under this request; try again"
        await self.unavailable(path, why)(scope, body.reader(), send)

    async def _attempt(
        self, scope: Scope, body: RecordedBody, send: Send, tx: Transaction
    ) -> Conflict | Unavailable | None:
        gate = _Gate(tx, send)
        token = CURRENT.set(tx)
        try:
            await self.app(scope, body.reader(), gate.send)
        except Unavailable as exc:  # Redis went away under the handler
            tx.rollback()
            if gate.started:
                raise
            return exc
        except BaseException:
            tx.rollback()
            raise
        finally:
            CURRENT.reset(token)
        if gate.failed is not None:
            return gate.failed
        tx.closed = True
        if tx.dirty:
            # Writes after the answer started (none of today's endpoints), or an app that
            # answered nothing (a dropped connection): keep them, as one process would.
            try:
                tx.commit()
            except (Conflict, Unavailable) as exc:
                log.warning("%s %s: late writes lost: %s", scope["method"], scope["path"], exc)
                tx.rollback()
        return None


class FreshnessMiddleware(_SharedWorldMiddleware):
    """The outermost middleware with a shared world: bring this process up to date.

    One round trip before the journal, the fault rules or a handler look at anything:
    the configuration version (clock, faults, progression: reloaded if another replica
    changed them) and, for a request with an ``X-API-Key``, that namespace's changes
    (``SharedStore.sync``). The namespace is handed to the request's first transaction
    attempt, so the handler does not ask again.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        key = header(scope, b"x-api-key")
        try:
            if key:
                fresh: dict[str, Any] | None = {key: await self.store.sync_async(key)}
            else:
                fresh = None
                await self.store.refresh_async()
        except Unavailable as exc:
            await self.unavailable(scope["path"], exc.message)(scope, receive, send)
            return
        token = FRESH.set(fresh)
        try:
            await self.app(scope, receive, send)
        finally:
            FRESH.reset(token)
