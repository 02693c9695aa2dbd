"""``SharedDB``: the operations of the shared world, each one round trip to Redis.

The layout and the scripts are ``emulator.core.shared.scripts``; the per-process caches and
the transaction rules are ``emulator.core.shared.store`` and ``transaction``. This
module only talks to Redis: every method is one call (or one pipeline), and a Redis
that cannot be reached raises ``Unavailable`` (answered 503 by the app).

It is also the store's ``Backend`` for the few world facts that are not rows
(``get_meta``/``put_meta``: the seed, the clock, progression policies...): putting one
bumps ``ve:config``, the version every replica checks on each request.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from emulator.core.backend import Json, Row
from emulator.core.shared import scripts as redisdb
from emulator.core.shared.aio import ReplyError, Stamps
from emulator.core.shared.scripts import PREFIX, SEP, Scripts, decode
from emulator.core.shared.transaction import Unavailable
from emulator.core.shared.wire import (
    CommitBatch,
    Stamp,
    Synced,
    cap_message,
    commit_args,
    commit_reply,
    encode,
    stamp_of,
)

if TYPE_CHECKING:
    import redis

_PACKED_CACHE = 4096


class SharedDB:
    """A Redis connection with the emulator's scripts; also a ``store.Backend`` for meta."""

    persistent = True

    def __init__(
        self, client: redis.Redis, *, where: str = "redis", url: str | None = None
    ) -> None:
        self.client = client
        self.where = where
        self.scripts = Scripts(client)
        self.replica = uuid.uuid4().hex[:12]  # this process, for outbox leases
        # The per-request check (``stamp``) has a connection of its own: one plain
        # command without the pool's checkout and reply callbacks costs about half.
        self._fast = client.connection_pool.make_connection()
        self._fast_lock = threading.Lock()
        self._packed: dict[str | None, bytes] = {}  # the MGET of each tenant, encoded once
        # Called after this process moved the world or configuration versions itself.
        self.on_change: list[Callable[[], None]] = []
        self._stamps = Stamps(url, self._setup()) if url else None

    def _setup(self) -> list[bytes]:
        """What a new connection must send first: AUTH and SELECT, as the pool's do."""
        kwargs = self.client.connection_pool.connection_kwargs
        commands: list[tuple[Any, ...]] = []
        if kwargs.get("password"):
            user = kwargs.get("username")
            commands.append(
                ("AUTH", user, kwargs["password"]) if user else ("AUTH", kwargs["password"])
            )
        if kwargs.get("db"):
            commands.append(("SELECT", kwargs["db"]))
        return [b"".join(self._fast.pack_command(*c)) for c in commands]  # type: ignore[no-untyped-call]

    @classmethod
    def connect(cls, url: str) -> SharedDB:
        return cls(redisdb.connect(url), where=redisdb.Location(url).display, url=url)

    def _call(self, script: Any, args: Sequence[Any]) -> Any:
        return self.run(lambda: script(args=list(args)))

    def run(self, fn: Any, *args: Any) -> Any:
        """``fn(*args)`` on the client, with ``Unavailable`` (a 503) for a lost connection
        or one that stalls past the socket timeout: redis-py's ``TimeoutError`` is its
        own class, not a ``ConnectionError``, and would otherwise be a 500."""
        import redis as redis_lib

        try:
            return fn(*args)
        except (redis_lib.ConnectionError, redis_lib.TimeoutError) as exc:
            raise self.lost(exc) from None

    def lost(self, exc: BaseException) -> Unavailable:
        """What a call that could not reach the store raises."""
        return Unavailable(f"the shared state store at {self.where} is unreachable: {exc}")

    # ------------------------------------------------------------------ rows
    def stamp(self, tenant: str | None) -> Stamp:
        """(config, world token, namespace seq, namespace gen): one ``MGET``, the
        per-request check. Without a tenant the last two are 0."""
        import redis as redis_lib

        with self._fast_lock:
            try:
                self._fast.send_packed_command([self._packed_stamp(tenant)])  # type: ignore[no-untyped-call]
                reply = self._fast.read_response()
            except (redis_lib.ConnectionError, redis_lib.TimeoutError, OSError) as exc:
                self._fast.disconnect()  # type: ignore[no-untyped-call]
                raise self.lost(exc) from None
        return stamp_of(reply)

    async def stamp_async(self, tenant: str | None) -> Stamp:
        """``stamp`` without blocking the event loop (``stamps``), where the URL allows."""
        stamps = self._stamps
        if stamps is None or stamps.unusable:
            return self.stamp(tenant)
        try:
            reply = await stamps.ask(self._packed_stamp(tenant))
        except (ConnectionError, OSError, ReplyError) as exc:
            if not stamps.usable:
                return self.stamp(tenant)
            raise self.lost(exc) from None
        return stamp_of(reply)

    def _packed_stamp(self, tenant: str | None) -> bytes:
        packed = self._packed.get(tenant)
        if packed is None:
            keys = [PREFIX + "config", PREFIX + "gen", PREFIX + "id"]
            if tenant is not None:
                keys += [f"{PREFIX}ns:{tenant}:seq", f"{PREFIX}ns:{tenant}:gen"]
            packed = b"".join(self._fast.pack_command("MGET", *keys))  # type: ignore[no-untyped-call]
            if len(self._packed) >= _PACKED_CACHE:
                self._packed.clear()  # a crude bound: keys nobody reuses must not pile up
            self._packed[tenant] = packed
        return packed

    def sync(self, tenant: str, world: str, gen: int, seq: int, *, full: bool) -> Synced:
        reply = self._call(
            self.scripts.sync, [PREFIX, tenant, world, gen, seq, "1" if full else "0"]
        )
        config, gen, seq, kind = (int(x) for x in (reply[0], reply[2], reply[3], reply[4]))
        world = decode(reply[1])
        rows: list[tuple[str, str | None, int, float | None]] = []
        if kind == 1:
            order, flat_rows, flat_ver = reply[5], reply[6], reply[7]
            values = {decode(flat_rows[i]): flat_rows[i + 1] for i in range(0, len(flat_rows), 2)}
            versions = {
                decode(flat_ver[i]): int(flat_ver[i + 1]) for i in range(0, len(flat_ver), 2)
            }
            for position, raw in enumerate(order):
                field = decode(raw)
                value = values.get(field)
                if value is not None:
                    rows.append((field, decode(value), versions.get(field, 0), float(position)))
        elif kind == 2:
            for field, value, version, order in zip(*reply[5:9], strict=True):
                rows.append(
                    (
                        decode(field),
                        None if value is None else decode(value),
                        0 if version is None else int(version),
                        None if order is None else float(order),
                    )
                )
        return Synced(config, world, gen, seq, kind == 1, rows)

    def can_fire(self) -> bool:
        """Whether ``fire_script`` can send now without blocking."""
        return self._stamps is not None and self._stamps.ready()

    def fire_script(self, script: Any, keys: list[str], args: list[Any]) -> Any:
        """Send a script call on the non-blocking connection; the future of its answer."""
        assert self._stamps is not None
        packed = self._fast.pack_command("EVALSHA", script.sha, len(keys), *keys, *args)  # type: ignore[no-untyped-call]
        return self._stamps.fire(b"".join(packed))

    def fetch(
        self, tenant: str, fields: list[str]
    ) -> list[tuple[str, str | None, int, float | None]]:
        """Current value, version and order of some rows (to undo a failed transaction)."""
        ns = f"{PREFIX}ns:{tenant}:"
        pipe = self.client.pipeline(transaction=True)
        pipe.hmget(ns + "rows", fields)
        pipe.hmget(ns + "ver", fields)
        pipe.zmscore(ns + "order", fields)
        values, versions, orders = self.run(pipe.execute)
        return [
            (f, None if v is None else decode(v), 0 if n is None else int(n), o)
            for f, v, n, o in zip(fields, values, versions, orders, strict=True)
        ]

    def commit(self, batch: CommitBatch) -> list[int] | None:
        """Seq per namespace, None on a conflict; Unavailable past the tenant cap."""
        reply = self._call(self.scripts.commit, commit_args(batch))
        return commit_reply(reply, batch.max_tenants)

    async def commit_async(self, batch: CommitBatch) -> list[int] | None:
        """``commit`` without blocking the event loop, where the URL allows (``aio``)."""
        stamps = self._stamps
        if stamps is None or stamps.unusable:
            return self.commit(batch)
        args = commit_args(batch)
        packed = self._fast.pack_command("EVALSHA", self.scripts.commit.sha, 0, *args)  # type: ignore[no-untyped-call]
        try:
            reply = await stamps.send(b"".join(packed))
        except ReplyError as exc:
            if "NOSCRIPT" not in str(exc):
                raise
            # Redis lost its scripts (restart, SCRIPT FLUSH): the blocking client loads it.
            return self.commit(batch)
        except (ConnectionError, OSError) as exc:
            if not stamps.usable:
                return self.commit(batch)
            raise self.lost(exc) from None
        return commit_reply(reply, batch.max_tenants)

    def next_id(self, tenant: str, field: str, max_tenants: int = 0) -> tuple[int, int]:
        n, seq = self._call(self.scripts.next_id, [PREFIX, tenant, field, max_tenants])
        if int(n) == -1:
            raise Unavailable(cap_message(max_tenants))
        return int(n), int(seq)

    def tenants(self) -> list[str]:
        return sorted(decode(t) for t in self.run(self.client.smembers, PREFIX + "tenants"))

    def world(self) -> tuple[int, str]:
        """(config version, world token)."""
        config, world, _, _ = self.stamp(None)
        return config, world

    def ensure_world(self) -> str:
        """Give the world an identity if it has none (a new or emptied Redis)."""
        self.run(self.client.setnx, PREFIX + "id", uuid.uuid4().hex)
        self._changed()
        return self.world()[1]

    # ------------------------------------------------------------------ reset, snapshot
    def reset(self, tenant: str | None) -> str:
        """Drop one namespace or all; the new world token."""
        if tenant is not None:
            self._call(self.scripts.reset_tenant, [PREFIX, tenant])
        else:
            self._call(self.scripts.reset_all, [PREFIX])
        self._changed()
        return self.world()[1]

    def snapshot(self, tenants: Iterable[str]) -> dict[str, dict[str, dict[str, Json]]]:
        names = list(tenants)
        pipe = self.client.pipeline(transaction=True)
        for name in names:
            pipe.zrange(f"{PREFIX}ns:{name}:order", 0, -1)
            pipe.hgetall(f"{PREFIX}ns:{name}:rows")
        replies = self.run(pipe.execute)
        out: dict[str, dict[str, dict[str, Json]]] = {}
        for index, name in enumerate(names):
            order, rows = replies[2 * index], replies[2 * index + 1]
            tables: dict[str, dict[str, Json]] = {}
            for raw in order:
                value = rows.get(raw)
                if value is None:
                    continue
                table, _, key = decode(raw).partition(SEP)
                tables.setdefault(table, {})[key] = json.loads(value)
            if tables:
                out[name] = {t: tables[t] for t in sorted(tables)}
        return out

    def restore(
        self,
        tenants: Mapping[str, Mapping[str, Mapping[str, Json]]],
        *,
        seed: int | None,
        tenant: str | None,
    ) -> str:
        """Replace the world (or one namespace) in one MULTI; the new world token."""
        pipe = self.client.pipeline(transaction=True)
        if tenant is None:
            self.scripts.reset_all(args=[PREFIX], client=pipe)
        for name, tables in tenants.items():
            target = tenant if tenant is not None else name
            self.scripts.reset_tenant(args=[PREFIX, target], client=pipe)
            flat: list[str] = []
            for table, rows in tables.items():
                for key, value in rows.items():
                    flat += [f"{table}{SEP}{key}", encode(value)]
            self.scripts.load_tenant(args=[PREFIX, target, *flat], client=pipe)
        if tenant is not None and not tenants:
            self.scripts.reset_tenant(args=[PREFIX, tenant], client=pipe)
        if seed is not None:
            pipe.hset(PREFIX + "meta", "seed", json.dumps({"value": seed}))
            pipe.incr(PREFIX + "config")
        self.run(pipe.execute)
        self._changed()
        return self.world()[1]

    def _changed(self) -> None:
        for hook in self.on_change:
            hook()

    # ------------------------------------------------------------------ meta (Backend)
    def init_seed(self, seed: int) -> int:
        """The world's seed: the first process to start sets it, later ones adopt it."""
        self.run(self.client.hsetnx, PREFIX + "meta", "seed", json.dumps({"value": seed}))
        stored = self.get_meta("seed")
        return int(stored["value"]) if stored is not None else seed

    def get_meta(self, key: str) -> Json | None:
        raw = self.run(self.client.hget, PREFIX + "meta", key)
        return None if raw is None else dict(json.loads(raw))

    def put_meta(self, key: str, value: Json) -> None:
        self.put_metas({key: value})

    def put_metas(self, values: Mapping[str, Json]) -> None:
        """Set world facts and tell every replica (one new config version)."""
        pipe = self.client.pipeline(transaction=True)
        for key, value in values.items():
            pipe.hset(PREFIX + "meta", key, encode(value))
        pipe.incr(PREFIX + "config")
        self.run(pipe.execute)
        self._changed()

    def metas(self) -> dict[str, Json]:
        raw = self.run(self.client.hgetall, PREFIX + "meta")
        return {decode(k): json.loads(v) for k, v in raw.items()}

    # The row methods of ``store.Backend``: rows go through SharedStore, never here.
    def put(self, tenant: str, table: str, key: str, value: Json) -> None:
        raise NotImplementedError("rows of the shared world are written by SharedStore")

    def delete(self, tenant: str, table: str, key: str) -> None:
        raise NotImplementedError("rows of the shared world are written by SharedStore")

    def clear(self, tenant: str | None) -> None:
        self.reset(tenant)

    def replace(
        self, rows: Iterable[Row], meta: Mapping[str, Json], tenant: str | None = None
    ) -> None:
        raise NotImplementedError("SharedStore.write_restore replaces rows in Redis itself")

    def load(self, tenant: str | None = None) -> Iterator[Row]:
        # Nothing is loaded at start-up: namespaces are fetched from Redis on first use.
        return iter(())

    def close(self) -> None:
        if self._stamps is not None:
            self._stamps.close()
        with self._fast_lock:
            self._fast.disconnect()  # type: ignore[no-untyped-call]
        self.client.close()
