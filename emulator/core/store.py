"""The emulator's world: one ``Namespace`` per API key, each a set of named tables.

Vendor code keeps all durable state in ``Table``s of records that can turn themselves
into JSON (``to_json``) and back (a loader). That one rule buys three features:

* isolation: a tenant only ever sees its own namespace, so parallel CI jobs sharing
  a sidecar never meet, and ``reset(api_key)`` clears exactly one of them;
* persistence: every ``put``/``delete`` is written through to a ``Backend`` (memory by
  default; SQLite with ``--state-file``) before the request is acknowledged;
* snapshots: ``snapshot()``/``restore()`` are the tables as one JSON document.

Per-namespace caches of derived objects (``Namespace.state``) are rebuilt from tables.

A namespace is kept from its first write on: a request with a key nobody wrote for
(a typo, a scanner trying keys) gets an empty namespace that lives only as long as the
request holds it, so 20,000 reads with unknown keys leave nothing behind (issue 13).
``max_tenants`` optionally caps how many namespaces may hold data at once; the write
that would make one more raises ``TenantLimitReached``.

With ``--state-url`` the tables are a per-process cache of a shared Redis world
(``emulator.core.shared_store``, a subclass of these classes); this module stays the
in-memory (and SQLite) implementation, and its read path pays nothing for that.
"""

from __future__ import annotations

import copy
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

Json = dict[str, Any]


class Record(Protocol):
    def to_json(self) -> Json: ...


R = TypeVar("R", bound=Record)
S = TypeVar("S")
T = TypeVar("T")


class TenantLimitReached(Exception):
    """A write would make one namespace more than ``max_tenants`` allows (answered 503)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(
            f"this emulator holds data for at most {limit} API keys (max_tenants); "
            "reset one (POST /_emulator/reset?api_key=...) or raise the limit"
        )


Row = tuple[str, str, str, Json]  # tenant, table, key, value


class BackendError(RuntimeError):
    """A write the backend could not make (a full disk, a lost server).

    The request answers 503 and ``Store.reload(tenant)`` puts memory back to what
    storage holds, so nothing shows that was not kept. ``tenant``: whose write it was
    (None: a world-wide write).
    """

    def __init__(self, message: str, tenant: str | None) -> None:
        super().__init__(message)
        self.tenant = tenant


class Backend(Protocol):
    """Where table rows are kept between runs.

    ``load`` yields rows in the order they were first put (a re-put keeps its place),
    because tables are ordered and list endpoints answer in that order. ``meta`` is a
    small key -> JSON map for world facts that are not rows (the seed, the clock).
    """

    persistent: bool

    def put(self, tenant: str, table: str, key: str, value: Json) -> None: ...

    def delete(self, tenant: str, table: str, key: str) -> None: ...

    def clear(self, tenant: str | None) -> None: ...

    def replace(
        self, rows: Iterable[Row], meta: Mapping[str, Json], tenant: str | None = None
    ) -> None:
        """Atomically: drop every row (or one tenant's), write ``rows``, set ``meta``."""
        ...

    def load(self, tenant: str | None = None) -> Iterator[Row]:
        """Every row (or one tenant's), in first-put order."""
        ...

    def get_meta(self, key: str) -> Json | None: ...

    def put_meta(self, key: str, value: Json) -> None: ...

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

    def replace(
        self, rows: Iterable[Row], meta: Mapping[str, Json], tenant: str | None = None
    ) -> None:
        return None

    def load(self, tenant: str | None = None) -> Iterator[Row]:
        return iter(())

    def get_meta(self, key: str) -> Json | None:
        return None

    def put_meta(self, key: str, value: Json) -> None:
        return None

    def close(self) -> None:
        return None


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


class Store:
    """All namespaces, the backend behind them, and the seed they derive ids from."""

    def __init__(
        self, backend: Backend | None = None, *, seed: int = 0, max_tenants: int = 0
    ) -> None:
        self.backend: Backend = backend or MemoryBackend()
        self.seed = seed
        self.max_tenants = max_tenants  # 0: no cap
        # A state file remembers the seed its world was made with; ids derived later
        # must come from the same seed, so the file's seed wins over the setting.
        stored = self.backend.get_meta("seed")
        if stored is not None:
            self.seed = int(stored["value"])
        elif self.backend.persistent:
            self.backend.put_meta("seed", {"value": seed})
        self._namespaces: dict[str, Namespace] = {}
        # Namespaces nobody wrote to yet, alive only while a request holds them.
        self._unwritten: weakref.WeakValueDictionary[str, Namespace] = weakref.WeakValueDictionary()
        self._pending: dict[str, dict[str, dict[str, Json]]] = {}
        for tenant, table, key, value in self.backend.load():
            self._pending.setdefault(tenant, {}).setdefault(table, {})[key] = value

    def namespace(self, tenant: str) -> Namespace:
        ns = self._namespaces.get(tenant)
        if ns is not None:
            return ns
        ns = self._unwritten.get(tenant)
        if ns is not None:
            return ns
        pending = self._pending.pop(tenant, None)
        ns = Namespace(tenant, self.backend, pending or {}, self._keep)
        if pending:
            self._namespaces[tenant] = ns
        else:
            self._unwritten[tenant] = ns
        return ns

    def _keep(self, ns: Namespace) -> None:
        """``ns`` gets its first row: hold it for good, if the tenant cap allows."""
        if self._namespaces.get(ns.tenant) is ns:
            return
        if self.max_tenants and len(self._namespaces) >= self.max_tenants:
            raise TenantLimitReached(self.max_tenants)
        self._unwritten.pop(ns.tenant, None)
        self._namespaces[ns.tenant] = ns

    def tenants(self) -> list[str]:
        return sorted({*self._namespaces, *self._pending})

    def reload(self, tenant: str | None = None) -> None:
        """Read a tenant's state (None: everyone's) back from the backend, dropping what
        memory holds: after a failed write (``BackendError``) memory must not keep
        what storage refused. A no-op without a persistent backend."""
        if not self.backend.persistent:
            return
        if tenant is None:
            self._namespaces.clear()
            self._unwritten.clear()
            self._pending = {}
        else:
            self._namespaces.pop(tenant, None)
            self._unwritten.pop(tenant, None)
            self._pending.pop(tenant, None)
        for name, table, key, value in self.backend.load(tenant):
            self._pending.setdefault(name, {}).setdefault(table, {})[key] = value

    def atomic(self, job: Callable[[], T]) -> T:
        """Run work done outside a request (a background tick) as one unit of change.

        Here that is just ``job()``: one process changes state on one event loop. A
        shared store commits it as one transaction, run again if it conflicted.
        """
        return job()

    def reset(self, tenant: str | None = None) -> None:
        """Forget everything, or everything one API key made (storage first: a clear
        the backend refuses leaves memory as it was)."""
        self.backend.clear(tenant)
        if tenant is None:
            self._namespaces.clear()
            self._unwritten.clear()
            self._pending.clear()
        else:
            self._namespaces.pop(tenant, None)
            self._unwritten.pop(tenant, None)
            self._pending.pop(tenant, None)

    def snapshot(self, tenant: str | None = None) -> dict[str, Any]:
        """The world (or one API key's part of it) as one JSON document."""
        tenants: dict[str, Any] = {}
        for name in self.tenants() if tenant is None else [tenant]:
            ns = self._namespaces.get(name)
            dumped = ns.dump() if ns is not None else self._pending.get(name, {})
            if dumped:
                tenants[name] = dumped
        return {
            "format": "vendor-emulator-state",
            "version": 1,
            "seed": self.seed,
            "tenants": tenants,
        }

    def restore(self, document: Any, tenant: str | None = None) -> None:
        """Replace the whole world with a snapshot (written through to the backend).

        The document is checked completely before anything changes, and the backend
        swaps its rows in one transaction, so a bad document or a crash mid-restore
        leaves the previous world intact. Rows are decoded by the vendors' loaders on
        first use, as after a restart.

        With ``tenant``, only that API key's state is replaced, by the document's only
        tenant (whatever key it was saved under), and the seed is left alone: parallel
        jobs sharing one emulator each load a fixture into their own key.

        In three steps, so a large document costs the event loop nothing:
        ``prepare_restore`` and ``write_restore`` may run in a worker thread (they
        change no memory), ``apply_restore`` swaps the world in at once.
        """
        prepared = self.prepare_restore(document, tenant)
        self.write_restore(prepared)
        self.apply_restore(prepared)

    def prepare_restore(
        self, document: Any, tenant: str | None = None, *, owned: bool = False
    ) -> PreparedRestore:
        """Check ``document`` and turn it into rows; ValueError (nothing changed) when
        it is malformed. ``owned``: the caller hands the document over (a freshly
        parsed body), so it need not be copied."""
        tenants, seed = _checked(document, self.seed)
        if not owned:
            tenants = copy.deepcopy(tenants)
        if tenant is not None:
            if len(tenants) > 1:
                raise ValueError("restoring one api_key needs a document with at most one tenant")
            tables = next(iter(tenants.values()), {})
            rows = [
                (tenant, t, k, v) for t, table_rows in tables.items() for k, v in table_rows.items()
            ]
            return PreparedRestore(tenant, {tenant: tables} if tables else {}, seed, rows)
        rows = [
            (name, table, key, value)
            for name, tables in tenants.items()
            for table, table_rows in tables.items()
            for key, value in table_rows.items()
        ]
        return PreparedRestore(None, tenants, seed, rows)

    def write_restore(self, prepared: PreparedRestore) -> None:
        """Swap the backend's rows (one transaction); memory is left as it was."""
        if prepared.tenant is not None:
            self.backend.replace(prepared.rows, {}, tenant=prepared.tenant)
        else:
            self.backend.replace(prepared.rows, {"seed": {"value": prepared.seed}})

    def apply_restore(self, prepared: PreparedRestore) -> None:
        """Make the prepared world the one in memory (after ``write_restore``)."""
        if prepared.tenant is not None:
            self._namespaces.pop(prepared.tenant, None)
            self._unwritten.pop(prepared.tenant, None)
            self._pending.pop(prepared.tenant, None)
            self._pending.update(prepared.tenants)
            return
        self._namespaces.clear()
        self._unwritten.clear()
        self._pending = prepared.tenants
        self.seed = prepared.seed


@dataclass(frozen=True, slots=True)
class PreparedRestore:
    """A checked snapshot, ready to be written and swapped in (``Store.restore``)."""

    tenant: str | None
    tenants: dict[str, dict[str, dict[str, Json]]]
    seed: int
    rows: list[Row]


def _checked(document: Any, seed: int) -> tuple[dict[str, dict[str, dict[str, Json]]], int]:
    """The tenants and seed of a state document, or ValueError saying what is wrong."""
    if not isinstance(document, dict):
        raise ValueError("a state document is a JSON object")
    if document.get("format") != "vendor-emulator-state" or document.get("version") != 1:
        raise ValueError("not a vendor-emulator state document of version 1")
    seed = document.get("seed", seed)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError("'seed' must be an integer")
    tenants = document.get("tenants")
    if not isinstance(tenants, dict):
        raise ValueError("state document needs a 'tenants' object")
    for tenant, tables in tenants.items():
        if not tenant:
            raise ValueError("tenant names (API keys) must not be empty")
        if not isinstance(tables, dict):
            raise ValueError(f"tenants.{tenant} must be an object of tables")
        for table, rows in tables.items():
            if not isinstance(rows, dict):
                raise ValueError(f"tenants.{tenant}.{table} must be an object of rows")
            for key, value in rows.items():
                if not isinstance(value, dict):
                    raise ValueError(f"tenants.{tenant}.{table}.{key} must be an object")
    return tenants, seed
