"""``SharedTable``: one table of a namespace as this process's cache of Redis rows.

Every copy of a row carries the version (commit seq) it is based on. A read or a
write on a transaction records the copy it saw; ``expected`` says which version Redis
must still hold for the transaction to commit (``emulator.core.shared.transaction``
explains the rules). Rows keep their first-write order, as a ``Table`` does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from emulator.core.backend import Json
from emulator.core.shared.transaction import Transaction, Write, current
from emulator.core.tables import R, Table

if TYPE_CHECKING:
    from emulator.core.shared.store import SharedNamespace

INF = float("inf")
Entry = tuple[Any, int]  # (the current object of a row, the version it is based on)


class SharedTable(Table[R]):
    """A table whose rows are a cache of Redis; reads and writes go on the transaction."""

    def __init__(self, owner: SharedNamespace, name: str, loader: Callable[[Json], R]) -> None:
        super().__init__(owner, name, owner.store.db)
        self._shared = owner
        self._loader = loader
        self._entries: dict[str, Entry] = {}
        self._orders: dict[str, float] = {}
        self._top = -INF  # the highest first-write order of a row here
        self._disordered = False

    # ------------------------------------------------------------------ reads
    def get(self, key: str) -> R | None:
        row = self._rows.get(key)
        tx = current()
        if tx is not None:
            entry = self._entries.get(key)
            tx.read(self, key, row, entry[1] if entry is not None else 0)
        return row

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def peek(self, key: str) -> R | None:
        return self._rows.get(key)

    def expected(self, key: str, row: Any, base: int) -> int:
        """The version Redis must hold for a transaction that saw copy ``row`` at ``base``.

        While ``row`` is still this process's copy, the copy's own version counts: a
        commit by another request of this process (same object) moved it on, and this
        transaction saw that change. Once a sync replaced the copy, ``base`` counts:
        the transaction worked on a stale copy, and the commit must fail.
        """
        entry = self._entries.get(key)
        if entry is not None and row is not None and entry[0] is row:
            return entry[1]
        return base

    def _base(self, key: str, tx: Transaction | None) -> int:
        entry = self._entries.get(key)
        if tx is not None:
            slot = (self.tenant, self.name, key)
            seen = tx.reads.get(slot)
            if seen is not None:
                return self.expected(key, seen[0], seen[1])
            prior = tx.writes.get(slot)
            if prior is not None:
                return self.expected(key, prior.row, prior.base)
        return entry[1] if entry is not None else 0

    # ------------------------------------------------------------------ writes
    def put(self, key: str, row: R) -> None:
        if not self._owner.kept:
            self._owner.keep()
        tx = current()
        base = self._base(key, tx)
        new = key not in self._rows
        self._rows[key] = row
        self._entries[key] = (row, base)
        if new:
            self._order(key, INF)  # placed by the commit
        text = json.dumps(row.to_json(), separators=(",", ":"), ensure_ascii=False)
        if tx is None:
            self._shared.store.autocommit(Write(self, key, row, text, base))
        else:
            tx.write(self, key, row, text, base)

    def delete(self, key: str) -> None:
        if key not in self._rows:
            return
        tx = current()
        base = self._base(key, tx)
        self._forget(key)
        if tx is None:
            self._shared.store.autocommit(Write(self, key, None, None, base))
        else:
            tx.write(self, key, None, None, base)

    # ------------------------------------------------------------------ order
    def keys(self) -> list[str]:
        self._in_order()
        return list(self._rows)

    def values(self) -> list[R]:
        self._in_order()
        return list(self._rows.values())

    def dump(self) -> dict[str, Json]:
        self._in_order()
        return super().dump()

    def _in_order(self) -> None:
        """Rows in first-write order (list endpoints answer in table order)."""
        if self._disordered:
            ordered = sorted(self._rows, key=lambda k: self._orders.get(k, INF))
            self._rows = {k: self._rows[k] for k in ordered}
            self._disordered = False

    def _order(self, key: str, order: float) -> None:
        self._orders[key] = order
        if order < self._top or next(reversed(self._rows), key) != key:
            self._disordered = True
        if order != INF:
            self._top = max(self._top, order)

    # ------------------------------------------------------------------ cache upkeep
    def _forget(self, key: str) -> Any:
        self._entries.pop(key, None)
        self._orders.pop(key, None)
        return self._rows.pop(key, None)

    def _install(self, key: str, row: Any, version: int, order: float | None) -> None:
        """A copy of a row as Redis holds it (loaded, synced or reloaded)."""
        new = key not in self._rows
        self._rows[key] = row
        self._entries[key] = (row, version)
        if order is not None:
            self._order(key, order)
        elif new:
            self._order(key, INF)

    def _committed(self, key: str, row: Any, version: int, order: float) -> None:
        entry = self._entries.get(key)
        if entry is not None and entry[0] is row:
            self._entries[key] = (row, version)
            if self._orders.get(key) == INF:
                self._order(key, order)
