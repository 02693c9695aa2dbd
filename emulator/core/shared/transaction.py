"""Requests as optimistic transactions over the shared world (``--state-url`` only).

One emulator process serialises every state change on its event loop. Several
processes sharing Redis cannot, and holding a lock across a request would serialise
a whole API key -- the thousands of phones behind one backend's key -- across every
replica. So each request runs as an optimistic transaction:

* every row the vendor code reads (``Table.get``) or writes is noted with the version
  of the copy it saw; writes are kept, not sent;
* when the handler answers (``http.response.start``: every write is done by then),
  ``COMMIT`` (``emulator.core.shared.scripts``) checks in one atomic step that none of those
  rows changed in Redis since, and writes them all -- with the webhook deliveries the
  request queued -- under one new version;
* if another replica changed one of them meanwhile, nothing is written, the response
  is thrown away, the local copies of the rows are reloaded, and the request runs
  again from its recorded body (``RecordedBody``), up to ``MAX_ATTEMPTS`` times.

A read-only request commits nothing and never runs twice. Requests of one key that
touch different rows (different users' uploads) never conflict. The journal, fault
rules and body limits sit outside this middleware, so a re-run is invisible to them.
Work outside a request (the background ticker) uses ``Transaction.run``.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import random
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final, TypeVar

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.core.headers import header

if TYPE_CHECKING:
    from emulator.core.shared.store import SharedStore, SharedTable

log = logging.getLogger("emulator.core.shared.transaction")

MAX_ATTEMPTS: Final = 12
_SPOOL_BYTES: Final = 1024 * 1024  # recorded bodies above this go to a temporary file
T = TypeVar("T")

CURRENT: contextvars.ContextVar[Transaction | None] = contextvars.ContextVar(
    "emulator_transaction", default=None
)
# Namespaces the freshness middleware synced for this request (its first attempt).
FRESH: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "emulator_fresh", default=None
)


def current() -> Transaction | None:
    """The transaction the running code belongs to, if it is still open.

    A callback scheduled during a request (``call_soon``, a task) inherits the
    request's context, and so its transaction, after the request ended: such late
    work then runs as its own transaction (``SharedStore.atomic``) or commits at once.
    """
    tx = CURRENT.get()
    return tx if tx is not None and not tx.closed else None


class Conflict(Exception):
    """Another replica changed a row this transaction used; nothing was written."""


class Unavailable(RuntimeError):
    """The shared store could not be used (unreachable, or the tenant cap): a 503."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Write:
    """One row's pending change: its JSON (None: deleted) and the version it is based on."""

    __slots__ = ("base", "key", "row", "table", "text")

    def __init__(
        self, table: SharedTable[Any], key: str, row: Any, text: str | None, base: int
    ) -> None:
        self.table = table
        self.key = key
        self.row = row  # the object written (None: deleted)
        self.text = text
        self.base = base

    @property
    def expected(self) -> int:
        """The version Redis must still hold: see ``SharedTable.expected``."""
        return self.table.expected(self.key, self.row, self.base)


class Transaction:
    """The reads and writes of one request (or one background job) on the shared world."""

    def __init__(self, store: SharedStore, synced: dict[str, Any] | None = None) -> None:
        self.store = store
        # Namespaces already brought up to date in this transaction (held while it runs).
        self.synced: dict[str, Any] = dict(synced or {})
        # (tenant, table, key) -> (the row object read, the version of that copy)
        self.reads: dict[tuple[str, str, str], tuple[Any, int]] = {}
        self.writes: dict[tuple[str, str, str], Write] = {}
        # Webhook deliveries (id, JSON, queue, API key), written by the commit, and the
        # capacity of the delivery log they join.
        self.deliveries: list[tuple[str, str, str, str]] = []
        self.log_capacity = 0
        self.after: list[Callable[[], None]] = []  # run once committed
        self.closed = False  # committed for good or rolled back: joins no more work

    # ------------------------------------------------------------------ recording
    def read(self, table: SharedTable[Any], key: str, row: Any, version: int) -> None:
        slot = (table.tenant, table.name, key)
        if slot not in self.reads:
            self.reads[slot] = (row, version)

    def read_version(self, table: SharedTable[Any], key: str, row: Any) -> int | None:
        """The version of the copy ``row`` when this transaction read it, if it did."""
        found = self.reads.get((table.tenant, table.name, key))
        return found[1] if found is not None and found[0] is row else None

    def write(
        self, table: SharedTable[Any], key: str, row: Any, text: str | None, base: int
    ) -> None:
        slot = (table.tenant, table.name, key)
        found = self.writes.get(slot)
        if found is None:
            self.writes[slot] = Write(table, key, row, text, base)
        else:
            found.row, found.text, found.base = row, text, base

    def checks(self) -> Iterator[tuple[str, str, str, int]]:
        """(tenant, table, key, expected version) of every row read or written."""
        for slot, write in self.writes.items():
            yield (*slot, write.expected)
        for slot, (row, version) in self.reads.items():
            if slot not in self.writes:
                table = self.store.table_of(slot[0], slot[1])
                yield (*slot, version if table is None else table.expected(slot[2], row, version))

    @property
    def dirty(self) -> bool:
        return bool(self.writes or self.deliveries)

    # ------------------------------------------------------------------ ending
    def commit(self) -> None:
        """Write everything or nothing: Conflict, Unavailable, or done."""
        if self.dirty:
            self.store.commit(self)
            self.writes.clear()
            self.deliveries.clear()
        self._committed()

    async def commit_async(self) -> None:
        """``commit`` without blocking the event loop (the end of a request)."""
        if self.dirty:
            await self.store.commit_async(self)
            self.writes.clear()
            self.deliveries.clear()
        self._committed()

    def _committed(self) -> None:
        hooks, self.after = self.after, []
        for hook in hooks:
            try:
                hook()
            except Exception:
                log.exception("after-commit hook failed")

    def rollback(self) -> None:
        """Forget the writes: local copies of the rows go back to what Redis holds."""
        self.closed = True
        if self.writes:
            self.store.reload(self.writes.values())
        self.writes.clear()
        self.deliveries.clear()

    @staticmethod
    def run(store: SharedStore, job: Callable[[], T], attempts: int = MAX_ATTEMPTS) -> T:
        """``job()`` as a transaction, run again on a conflict (background work)."""
        for attempt in range(1, attempts + 1):
            tx = Transaction(store)
            with active(tx):
                result = job()
            try:
                tx.commit()
            except Conflict:
                tx.rollback()
                if attempt == attempts:
                    raise
                continue
            tx.closed = True
            return result
        raise AssertionError("unreachable")


@contextmanager
def active(tx: Transaction | None) -> Iterator[None]:
    token = CURRENT.set(tx)
    try:
        yield
    finally:
        CURRENT.reset(token)


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


class TransactionMiddleware:
    """Runs each request as a ``Transaction``; re-runs it on a conflict (module doc).

    The innermost middleware: only the router runs again. ``unavailable(path, why)``
    renders the 503 answered when Redis cannot be used or conflicts never end.
    """

    def __init__(
        self,
        app: ASGIApp,
        store: SharedStore,
        unavailable: Callable[[str, str], Response],
    ) -> None:
        self.app = app
        self.store = store
        self.unavailable = unavailable

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


class FreshnessMiddleware:
    """The outermost middleware with a shared world: bring this process up to date.

    One round trip before the journal, the fault rules or a handler look at anything:
    the configuration version (clock, faults, progression: reloaded if another replica
    changed them) and, for a request with an ``X-API-Key``, that namespace's changes
    (``SharedStore.sync``). The namespace is handed to the request's first transaction
    attempt, so the handler does not ask again.
    """

    def __init__(
        self,
        app: ASGIApp,
        store: SharedStore,
        unavailable: Callable[[str, str], Response],
    ) -> None:
        self.app = app
        self.store = store
        self.unavailable = unavailable

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
