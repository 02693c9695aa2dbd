"""One API key's world: a ``Namespace`` of named ``Table``s of records.

A record turns itself into JSON (``to_json``) and back (the table's loader); every
``put``/``delete`` is written through to the ``Backend`` before it returns. Rows loaded
from storage are decoded on a table's first use; ``Namespace.state`` caches a vendor's
derived view. The namespaces of all keys, and snapshots of them, are ``emulator.core.store``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, Protocol, TypeVar

from emulator.core.backend import Backend, Json


class Record(Protocol):
    def to_json(self) -> Mapping[str, Any]: ...


R = TypeVar("R", bound=Record)
S = TypeVar("S")


class Table(Generic[R]):
    """An ordered mapping of key -> record, written through to the backend."""

    def __init__(self, owner: Namespace, name: str, backend: Backend) -> None:
        self.tenant = owner.tenant
        self.name = name
        self._owner = owner
        self._backend = backend
        self._rows: dict[str, R] = {}

    def get(self, key: str) -> R | None:
        return self._rows.get(key)

    def peek(self, key: str) -> R | None:
        """``get`` for bookkeeping: a shared store does not count it as a read."""
        return self._rows.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    def __len__(self) -> int:
        return len(self._rows)

    def keys(self) -> list[str]:
        return list(self._rows)

    def values(self) -> list[R]:
        return list(self._rows.values())

    def put(self, key: str, row: R) -> None:
        """Store (or re-store after mutating) a row; durable once this returns."""
        if not self._owner.kept:
            self._owner.keep()  # may raise TenantLimitReached: then nothing changed
        self._rows[key] = row
        if self._backend.persistent:
            self._backend.put(self.tenant, self.name, key, dict(row.to_json()))

    def delete(self, key: str) -> None:
        if self._rows.pop(key, None) is not None and self._backend.persistent:
            self._backend.delete(self.tenant, self.name, key)

    def dump(self) -> dict[str, Json]:
        return {key: dict(row.to_json()) for key, row in self._rows.items()}


class _Counter:
    __slots__ = ("value",)

    def __init__(self, value: int) -> None:
        self.value = value

    def to_json(self) -> Json:
        return {"value": self.value}


class Namespace:
    """Everything one API key owns.

    ``kept`` is False until the first write: the store holds such a namespace only
    weakly, so an API key that only ever read leaves nothing behind.
    """

    def __init__(
        self,
        tenant: str,
        backend: Backend,
        pending: dict[str, dict[str, Json]],
        keep: Callable[[Namespace], None] | None = None,
    ) -> None:
        self.tenant = tenant
        self._backend = backend
        self._pending = pending  # rows loaded from the backend, decoded on first use
        self._tables: dict[str, Table[Any]] = {}
        self._states: dict[type[Any], Any] = {}
        self._keep = keep
        self.kept = keep is None or bool(pending)

    def keep(self) -> None:
        """The first write: from now on the store holds this namespace for good."""
        if self._keep is not None:
            self._keep(self)
        self.kept = True

    def table(self, name: str, loader: Callable[[Json], R]) -> Table[R]:
        """The table called ``name``, created (and hydrated from storage) on first use."""
        existing = self._tables.get(name)
        if existing is not None:
            return existing
        table: Table[R] = Table(self, name, self._backend)
        for key, raw in self._pending.pop(name, {}).items():
            table._rows[key] = loader(raw)
        self._tables[name] = table
        return table

    def state(self, factory: Callable[[Namespace], S], key: type[S]) -> S:
        """A per-namespace object built once from this namespace (a vendor's state view)."""
        found = self._states.get(key)
        if found is None:
            found = self._states[key] = factory(self)
        return found

    def next_id(self, name: str) -> int:
        """A persisted per-namespace counter: 1, 2, 3, ... for reproducible ids."""
        counters = self.table("_counters", lambda raw: _Counter(int(raw["value"])))
        counter = counters.get(name) or _Counter(0)
        counter.value += 1
        counters.put(name, counter)
        return counter.value

    def dump(self) -> dict[str, dict[str, Json]]:
        out = {name: dict(rows) for name, rows in self._pending.items()}
        out.update({name: table.dump() for name, table in self._tables.items()})
        return {name: rows for name, rows in sorted(out.items()) if rows}
