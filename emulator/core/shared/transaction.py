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
rules and body limits sit outside the middleware (``middleware``), so a re-run is
invisible to them. Only rows and webhook deliveries are transactional: changes of the
configuration (clock, fault rules, progression) and resets are written at once, and
the endpoints that make them write no rows, so they commit nothing and never run
twice. Work outside a request (the background ticker) uses ``Transaction.run``.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final, TypeVar

if TYPE_CHECKING:
    from emulator.core.shared.store import SharedStore
    from emulator.core.shared.table import SharedTable

log = logging.getLogger("emulator.core.shared.transaction")

MAX_ATTEMPTS: Final = 12
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
            self.store.undo(self.writes.values())
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
