"""The emulator's world: one ``Namespace`` per API key, each a set of named tables.

Vendor code keeps all durable state in ``Table``s of records that can turn themselves
into JSON (``to_json``) and back (a loader). That one rule buys three features:

* isolation: a tenant only ever sees its own namespace, so parallel CI jobs sharing
  a sidecar never meet, and ``reset(api_key)`` clears exactly one of them;
* persistence: every ``put``/``delete`` is written through to a ``Backend`` (memory by
  default; SQLite with ``--state-file``) before the request is acknowledged;
* snapshots: ``snapshot()``/``restore()`` are the tables as one JSON document.

Per-namespace caches of derived objects (``Namespace.state``) are rebuilt from tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Generic, Protocol, TypeVar

Json = dict[str, Any]


class Record(Protocol):
    def to_json(self) -> Json: ...


R = TypeVar("R", bound=Record)
S = TypeVar("S")


class Backend(Protocol):
    """Where table rows are kept between runs."""

    persistent: bool

    def put(self, tenant: str, table: str, key: str, value: Json) -> None: ...

    def delete(self, tenant: str, table: str, key: str) -> None: ...

    def clear(self, tenant: str | None) -> None: ...

    def load(self) -> Iterator[tuple[str, str, str, Json]]: ...

    def close(self) -> None: ...


class MemoryBackend:
    """Keeps nothing: state lives and dies with the process (the default)."""

    persistent = False

    def put(self, tenant: str, table: str, key: str, value: Json) -> None:
        return None

    def delete(self, tenant: str, table: str, key: str) -> None:
        return None

    def clear(self, tenant: str | None) -> None:
        return None

    def load(self) -> Iterator[tuple[str, str, str, Json]]:
        return iter(())

    def close(self) -> None:
        return None


class Table(Generic[R]):
    """An ordered mapping of key -> record, written through to the backend."""

    def __init__(self, tenant: str, name: str, backend: Backend) -> None:
        self.tenant = tenant
        self.name = name
        self._backend = backend
        self._rows: dict[str, R] = {}

    def get(self, key: str) -> R | None:
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
        self._rows[key] = row
        if self._backend.persistent:
            self._backend.put(self.tenant, self.name, key, row.to_json())

    def delete(self, key: str) -> None:
        if self._rows.pop(key, None) is not None and self._backend.persistent:
            self._backend.delete(self.tenant, self.name, key)

    def dump(self) -> dict[str, Json]:
        return {key: row.to_json() for key, row in self._rows.items()}


class _Counter:
    __slots__ = ("value",)

    def __init__(self, value: int) -> None:
        self.value = value

    def to_json(self) -> Json:
        return {"value": self.value}


class Namespace:
    """Everything one API key owns."""

    def __init__(self, tenant: str, backend: Backend, pending: dict[str, dict[str, Json]]) -> None:
        self.tenant = tenant
        self._backend = backend
        self._pending = pending  # rows loaded from the backend, decoded on first use
        self._tables: dict[str, Table[Any]] = {}
        self._states: dict[type[Any], Any] = {}

    def table(self, name: str, loader: Callable[[Json], R]) -> Table[R]:
        """The table called ``name``, created (and hydrated from storage) on first use."""
        existing = self._tables.get(name)
        if existing is not None:
            return existing
        table: Table[R] = Table(self.tenant, name, self._backend)
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


class Store:
    """All namespaces, the backend behind them, and the seed they derive ids from."""

    def __init__(self, backend: Backend | None = None, *, seed: int = 0) -> None:
        self.backend: Backend = backend or MemoryBackend()
        self.seed = seed
        self._namespaces: dict[str, Namespace] = {}
        self._pending: dict[str, dict[str, dict[str, Json]]] = {}
        for tenant, table, key, value in self.backend.load():
            self._pending.setdefault(tenant, {}).setdefault(table, {})[key] = value

    def namespace(self, tenant: str) -> Namespace:
        ns = self._namespaces.get(tenant)
        if ns is None:
            ns = Namespace(tenant, self.backend, self._pending.pop(tenant, {}))
            self._namespaces[tenant] = ns
        return ns

    def tenants(self) -> list[str]:
        return sorted({*self._namespaces, *self._pending})

    def reset(self, tenant: str | None = None) -> None:
        """Forget everything, or everything one API key made."""
        if tenant is None:
            self._namespaces.clear()
            self._pending.clear()
        else:
            self._namespaces.pop(tenant, None)
            self._pending.pop(tenant, None)
        self.backend.clear(tenant)

    def snapshot(self) -> dict[str, Any]:
        tenants: dict[str, Any] = {}
        for tenant in self.tenants():
            ns = self._namespaces.get(tenant)
            dumped = ns.dump() if ns is not None else self._pending.get(tenant, {})
            if dumped:
                tenants[tenant] = dumped
        return {
            "format": "vendor-emulator-state",
            "version": 1,
            "seed": self.seed,
            "tenants": tenants,
        }

    def restore(self, document: dict[str, Any]) -> None:
        """Replace the whole world with a snapshot (written through to the backend)."""
        if document.get("format") != "vendor-emulator-state" or document.get("version") != 1:
            raise ValueError("not a vendor-emulator state document of version 1")
        tenants = document.get("tenants")
        if not isinstance(tenants, dict):
            raise ValueError("state document needs a 'tenants' object")
        self.reset()
        self.seed = int(document.get("seed", self.seed))
        for tenant, tables in tenants.items():
            for table, rows in tables.items():
                for key, value in rows.items():
                    self.backend.put(tenant, table, key, value)
            self._pending[tenant] = {t: dict(rows) for t, rows in tables.items()}
