"""The emulator's world: one ``Namespace`` per API key, each a set of named tables.

Vendor code keeps all durable state in ``Table``s of records that can turn themselves
into JSON (``to_json``) and back (a loader). That one rule buys three features:

* isolation: a tenant only ever sees its own namespace, so parallel CI jobs sharing
  a sidecar never meet, and ``reset(api_key)`` clears exactly one of them;
* persistence: every ``put``/``delete`` is written through to a ``Backend`` (memory by
  default; SQLite with ``--state-file``) before the request is acknowledged;
* snapshots: ``snapshot()``/``restore()`` are the tables as one JSON document.

Per-namespace caches of derived objects (``Namespace.state``) are rebuilt from tables.
This module owns the set of namespaces and the world's snapshots; a namespace and its
tables are ``emulator.core.tables``, the backends ``emulator.core.backend``.

A namespace is kept from its first write on: a request with a key nobody wrote for
(a typo, a scanner trying keys) gets an empty namespace that lives only as long as the
request holds it, so 20,000 reads with unknown keys leave nothing behind (issue 13).
``max_tenants`` optionally caps how many namespaces may hold data at once; the write
that would make one more raises ``TenantLimitReached``.

With ``--state-url`` the tables are a per-process cache of a shared Redis world
(``emulator.core.shared.store``, a subclass of these classes); this module stays the
in-memory (and SQLite) implementation, and its read path pays nothing for that.
"""

from __future__ import annotations

import copy
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from emulator.core.backend import Backend, Json, MemoryBackend, Row
from emulator.core.tables import Namespace

T = TypeVar("T")


class TenantLimitReached(Exception):
    """A write would make one namespace more than ``max_tenants`` allows (answered 503)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(
            f"this emulator holds data for at most {limit} API keys (max_tenants); "
            "reset one (POST /_emulator/reset?api_key=...) or raise the limit"
        )


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
        self._forget(tenant)
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
        self._forget(tenant)

    def _forget(self, tenant: str | None) -> None:
        """Drop what memory holds of one tenant (None: of everyone)."""
        if tenant is None:
            self._namespaces.clear()
            self._unwritten.clear()
            self._pending = {}
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
        self._forget(prepared.tenant)
        if prepared.tenant is not None:
            self._pending.update(prepared.tenants)
            return
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
