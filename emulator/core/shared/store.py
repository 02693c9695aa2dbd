"""The store over a shared Redis world (``--state-url``): tables as per-process caches.

``SharedStore`` keeps the ``Store`` interface the vendors use, so vendor code is the
same whichever backend runs. What changes underneath:

* before a request uses a namespace, the process asks Redis what changed since it
  last looked (``SharedDB.sync``, one round trip) and applies it to its decoded rows;
  a vendor's derived view (``Namespace.state``) hears of each changed row through its
  ``changed(table, key, old)`` method (or, without one, is rebuilt);
* every copy of a row carries the version it is based on; reads and writes are noted
  on the request's ``Transaction`` and committed together, checked against those
  versions (``emulator.core.shared.transaction`` says why and how);
* ``next_id`` counters are incremented in Redis on the spot: two replicas never hand
  out the same number, and the same request sequence gives the same ids whichever
  replica answers;
* ``tenants``, ``snapshot``, ``reset`` and ``restore`` go to Redis, the one truth.

Outside a request (start-up, tests poking the store) a write commits at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections.abc import Callable, Iterable
from typing import Any

from emulator.core.backend import Json
from emulator.core.shared.db import SharedDB
from emulator.core.shared.scripts import SEP
from emulator.core.shared.table import INF, SharedTable
from emulator.core.shared.transaction import Conflict, Transaction, Write, current
from emulator.core.shared.wire import CommitBatch, NamespaceWrites, Stamp, field
from emulator.core.store import PreparedRestore, Store, T
from emulator.core.tables import Namespace, R, Table, _Counter

log = logging.getLogger("emulator.core.shared.store")


class SharedNamespace(Namespace):
    """One API key's rows as this process last saw them in Redis."""

    def __init__(self, store: SharedStore, tenant: str, world: str, gen: int) -> None:
        super().__init__(tenant, store.db, {}, store._keep)
        self.store = store
        self.world = world
        self.gen = gen
        self.seq = 0
        # Rows of tables nobody asked for yet: key -> (JSON text, version, order).
        self._raw: dict[str, dict[str, tuple[str, int, float]]] = {}

    def table(self, name: str, loader: Callable[[Json], R]) -> Table[R]:
        existing = self._tables.get(name)
        if existing is not None:
            return existing
        table: SharedTable[R] = SharedTable(self, name, loader)
        raw = self._raw.pop(name, {})
        for key, (text, version, order) in sorted(raw.items(), key=lambda kv: kv[1][2]):
            table._rows[key] = row = loader(json.loads(text))
            table._entries[key] = (row, version)
            table._orders[key] = order
            table._top = max(table._top, order)
        self._tables[name] = table
        return table

    def shared_table(self, name: str) -> SharedTable[Any] | None:
        found = self._tables.get(name)
        return found if isinstance(found, SharedTable) else None

    def next_id(self, name: str) -> int:
        n, seq = self.store.db.next_id(
            self.tenant, field("_counters", name), self.store.max_tenants
        )
        if not self.kept:
            self.keep()
        counters = self.table("_counters", lambda raw: _Counter(int(raw["value"])))
        assert isinstance(counters, SharedTable)
        counters._install(name, _Counter(n), seq, None)
        return n

    def apply(self, rows: Iterable[tuple[str, str | None, int, float | None]]) -> None:
        """Rows another replica changed: update the cache and tell the derived views."""
        changes: list[tuple[str, str, Any]] = []
        for full, text, version, order in rows:
            name, _, key = full.partition(SEP)
            table = self.shared_table(name)
            if table is None:
                pending = self._raw.setdefault(name, {})
                if text is None:
                    pending.pop(key, None)
                else:
                    place = order if order is not None else pending.get(key, ("", 0, INF))[2]
                    pending[key] = (text, version, place)
                continue
            entry = table._entries.get(key)
            if text is None:
                if key in table._rows:
                    changes.append((name, key, table._forget(key)))
                continue
            if entry is not None and entry[1] == version:
                continue  # this process's own write coming back
            old = table._rows.get(key)
            table._install(key, table._loader(json.loads(text)), version, order)
            changes.append((name, key, old))
        # Kept (held for good) while it has rows; an emptied namespace is let go.
        self.kept = any(self._raw.values()) or any(len(t) for t in self._tables.values())
        for name, key, old in changes:
            self._changed(name, key, old)

    def _changed(self, table: str, key: str, old: Any) -> None:
        for kind, view in list(self._states.items()):
            hook = getattr(view, "changed", None)
            if hook is None:
                self._states.pop(kind, None)  # no way to patch it: rebuilt on next use
                continue
            try:
                hook(table, key, old)
            except Exception:
                log.exception("%s could not follow a change of %s/%s", kind.__name__, table, key)
                self._states.pop(kind, None)


class SharedStore(Store):
    """The ``Store`` of a replica: namespaces cached, Redis the truth (module doc)."""

    def __init__(self, db: SharedDB, *, seed: int = 0, max_tenants: int = 0) -> None:
        self.db = db
        self.backend = db
        self.max_tenants = max_tenants
        self.seed = db.init_seed(seed)
        self._namespaces: dict[str, Namespace] = {}
        self._unwritten: weakref.WeakValueDictionary[str, Namespace] = weakref.WeakValueDictionary()
        self._pending = {}
        db.ensure_world()
        self.config, self.world = db.world()
        self._stamps: dict[str | None, Stamp] = {}
        db.on_change.append(self._stamps.clear)
        # Told when another replica changed the configuration (config version) or
        # reset / restored the whole world (world generation), and when Redis lost the
        # world altogether (its identity is gone): this process gives it back what it
        # knows of the configuration.
        self.on_config: list[Callable[[], None]] = []
        self.on_world: list[Callable[[], None]] = []
        self.on_new_world: list[Callable[[], None]] = []

    # ------------------------------------------------------------------ namespaces
    def _local(self, tenant: str) -> SharedNamespace | None:
        found = self._namespaces.get(tenant) or self._unwritten.get(tenant)
        return found if isinstance(found, SharedNamespace) else None

    def namespace(self, tenant: str) -> Namespace:
        tx = current()
        if tx is not None:
            known = tx.synced.get(tenant)
            if isinstance(known, Namespace):
                return known
        ns = self.sync(tenant)
        if tx is not None:
            tx.synced[tenant] = ns
        return ns

    async def sync_async(self, tenant: str) -> SharedNamespace:
        """``sync`` with the check done without blocking the event loop (a request)."""
        return self.sync(tenant, await self.db.stamp_async(tenant))

    async def refresh_async(self) -> None:
        config, world, _, _ = await self.db.stamp_async(None)
        self.saw(config, world)

    def sync(self, tenant: str, stamp: Stamp | None = None) -> SharedNamespace:
        """Bring this process's copy of ``tenant`` up to date.

        One ``MGET`` of four counters when nothing changed (the usual case of a read);
        a second round trip fetches what changed, or the whole namespace after a
        reset or on first use.
        """
        config, world, seq, gen = stamp if stamp is not None else self._stamp(tenant)
        self.saw(config, world)
        ns = self._local(tenant)
        if ns is not None and ns.world == world and ns.gen == gen and ns.seq == seq:
            return ns
        fresh = ns is None or ns.world != world or ns.gen != gen
        reply = self.db.sync(
            tenant,
            world,
            ns.gen if ns is not None else -1,
            ns.seq if ns is not None else 0,
            full=fresh,
        )
        self.saw(reply.config, reply.world)
        if reply.full or ns is None:
            ns = SharedNamespace(self, tenant, reply.world, reply.gen)
            self._namespaces.pop(tenant, None)
            self._unwritten[tenant] = ns
        ns.apply(reply.rows)
        ns.seq = reply.seq
        if ns.kept:
            self._namespaces[tenant] = ns
            self._unwritten.pop(tenant, None)
        return ns

    def _stamp(self, tenant: str | None) -> Stamp:
        """``SharedDB.stamp``, asked at most once per turn of the event loop and tenant.

        Every request that runs in this turn was received before it began, so a stamp
        read in this turn is at least as new as any write acknowledged (to anyone)
        before those requests were sent: read-your-writes holds, and requests that
        arrive together share one round trip. The cache empties at the next turn.
        """
        found = self._stamps.get(tenant)
        if found is not None:
            return found
        stamp = self.db.stamp(tenant)
        if not self._stamps:
            try:
                asyncio.get_running_loop().call_soon(self._stamps.clear)
            except RuntimeError:
                return stamp  # not on an event loop: nothing to share with
        self._stamps[tenant] = stamp
        return stamp

    def saw(self, config: int, world: str) -> None:
        """Versions read from Redis: react if another replica (or Redis) changed them."""
        if world != self.world:
            if world.startswith(":"):
                # No identity: Redis lost the world (restarted without persistence,
                # flushed). Every cached version is meaningless now; start over.
                world = self.db.ensure_world()
                for hook in self.on_new_world:
                    hook()
            self.world = world
            self._namespaces.clear()
            self._unwritten.clear()
            for hook in self.on_world:
                hook()
        if config != self.config:
            self.config = config
            for hook in self.on_config:
                hook()

    def refresh(self) -> None:
        """Check the configuration and world versions (a request with no API key)."""
        config, world, _, _ = self._stamp(None)
        self.saw(config, world)

    def _keep(self, ns: Namespace) -> None:
        # No cap here: Redis counts the tenants of every replica (the commit refuses).
        self._unwritten.pop(ns.tenant, None)
        self._namespaces[ns.tenant] = ns

    def table_of(self, tenant: str, name: str) -> SharedTable[Any] | None:
        ns = self._local(tenant)
        return ns.shared_table(name) if ns is not None else None

    def tenants(self) -> list[str]:
        return self.db.tenants()

    def atomic(self, job: Callable[[], T]) -> T:
        if current() is not None:
            return job()  # already part of a request's transaction
        return Transaction.run(self, job)

    # ------------------------------------------------------------------ commits
    def commit(self, tx: Transaction) -> None:
        batch = self._batch(tx)
        self._applied(tx, batch, self.db.commit(batch))

    async def commit_async(self, tx: Transaction) -> None:
        """``commit`` without blocking the event loop (a request's commit)."""
        batch = self._batch(tx)
        self._applied(tx, batch, await self.db.commit_async(batch))

    def _batch(self, tx: Transaction) -> CommitBatch:
        groups = list(self._groups(tx).values())
        return CommitBatch(groups, tx.deliveries, self.max_tenants, tx.log_capacity)

    def _applied(self, tx: Transaction, batch: CommitBatch, seqs: list[int] | None) -> None:
        """What a commit answered: Conflict, or its writes are the cached rows now."""
        if seqs is None:
            raise Conflict()
        self._committed(batch.namespaces, seqs, tx.writes.values())

    def _groups(self, tx: Transaction) -> dict[str, NamespaceWrites]:
        """The transaction's checks and writes, namespace by namespace."""
        groups: dict[str, NamespaceWrites] = {}

        def group(tenant: str) -> NamespaceWrites:
            return groups.setdefault(tenant, NamespaceWrites(tenant, [], [], []))

        for tenant, table, key, expected in tx.checks():
            group(tenant).checks.append((field(table, key), expected))
        for (tenant, table, key), write in tx.writes.items():
            if write.text is None:
                group(tenant).deletes.append(field(table, key))
            else:
                group(tenant).puts.append((field(table, key), write.text))
        return groups

    def autocommit(self, write: Write) -> None:
        """A write outside any transaction (start-up, tests): committed unconditionally."""
        tenant, name = write.table.tenant, write.table.name
        writes = NamespaceWrites(tenant, [], [], [])
        if write.text is None:
            writes.deletes.append(field(name, write.key))
        else:
            writes.puts.append((field(name, write.key), write.text))
        seqs = self.db.commit(CommitBatch([writes], [], self.max_tenants, 0))
        assert seqs is not None
        self._committed([writes], seqs, [write])

    def _committed(
        self, groups: list[NamespaceWrites], seqs: list[int], writes: Iterable[Write]
    ) -> None:
        first: dict[str, int] = {}
        for group, seq in zip(groups, seqs, strict=True):
            if not seq:
                continue
            first[group.tenant] = seq - max(len(group.puts), 1) + 1
            ns = self._local(group.tenant)
            if ns is not None and ns.seq == first[group.tenant] - 1:
                ns.seq = seq  # nobody else wrote in between: nothing to fetch
        last = dict(zip((g.tenant for g in groups), seqs, strict=True))
        position: dict[str, int] = {}
        for write in writes:
            tenant = write.table.tenant
            if write.text is None or tenant not in first:
                continue
            index = position.get(tenant, 0)
            position[tenant] = index + 1
            write.table._committed(write.key, write.row, last[tenant], float(first[tenant] + index))

    def undo(self, writes: Iterable[Write]) -> None:
        """Undo a failed transaction's writes in this process's copies."""
        by_tenant: dict[str, list[str]] = {}
        for write in writes:
            by_tenant.setdefault(write.table.tenant, []).append(field(write.table.name, write.key))
        for tenant, fields in by_tenant.items():
            ns = self._local(tenant)
            if ns is None:
                continue
            fetched = self.db.fetch(tenant, fields)
            for name_key, _, _, _ in fetched:
                name, _, key = name_key.partition(SEP)
                table = ns.shared_table(name)
                if table is not None:
                    table._entries.pop(key, None)  # whatever Redis holds replaces the copy
            ns.apply(fetched)

    # ------------------------------------------------------------------ whole world
    def reset(self, tenant: str | None = None) -> None:
        self.world = self.db.reset(tenant)
        self._forget(tenant)

    def snapshot(self, tenant: str | None = None) -> dict[str, Any]:
        names = self.tenants() if tenant is None else [tenant]
        return {
            "format": "vendor-emulator-state",
            "version": 1,
            "seed": self.seed,
            "tenants": self.db.snapshot(names),
        }

    def write_restore(self, prepared: PreparedRestore) -> None:
        """Replace the world (or one namespace) in Redis in one MULTI."""
        seed = None if prepared.tenant is not None else prepared.seed
        self.world = self.db.restore(prepared.tenants, seed=seed, tenant=prepared.tenant)

    def apply_restore(self, prepared: PreparedRestore) -> None:
        """Drop this process's copies: the next read fetches the restored rows."""
        if prepared.tenant is None:
            self.seed = prepared.seed
        self._forget(prepared.tenant)
