"""The SQLite state file (``--state-file``): every table row, written through on each put.

One table, ``rows(tenant, tbl, key, value)``, holds what ``Store`` keeps in memory;
``meta`` holds the few world facts that are not rows (the seed, the virtual clock).

Durability. The connection is in autocommit mode, so every ``put``/``delete`` is its
own transaction, committed before ``Table.put`` returns and so before the request is
acknowledged. The journal is WAL with ``synchronous=NORMAL``: a commit is a
``write()`` of the WAL frames to the OS, without ``fsync`` (that waits for
checkpoints). Data the OS has accepted survives the death of the process, so a
``kill -9`` loses nothing acknowledged (tests/test_persistence.py proves it); an OS
crash or power cut may lose the last commits, never the file's integrity. That is the
documented contract of WAL + NORMAL (sqlite.org/pragma.html#pragma_synchronous) and the
right trade for an emulator: ``FULL`` would add an fsync to every write.

Order. Rows load in ``rowid`` order, i.e. first-put order; an upsert keeps its rowid,
so a re-put row keeps its place, exactly like the in-memory ``dict`` of a ``Table``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from emulator.core.store import Json, Row

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS rows (
    tenant TEXT NOT NULL,
    tbl    TEXT NOT NULL,
    key    TEXT NOT NULL,
    value  TEXT NOT NULL,   -- JSON
    PRIMARY KEY (tenant, tbl, key)
);
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL     -- JSON
);
"""
_UPSERT = (
    "INSERT INTO rows (tenant, tbl, key, value) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (tenant, tbl, key) DO UPDATE SET value = excluded.value"
)
_PUT_META = (
    "INSERT INTO meta (key, value) VALUES (?, ?) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)


class StateFileError(ValueError):
    """The state file cannot be opened or is not ours (the CLI exits 2 with this)."""


class SqliteBackend:
    """A ``store.Backend`` keeping rows in one SQLite file."""

    persistent = True

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        # One event loop uses this connection; the lock covers the rare other thread
        # (a test poking EmulatorServer.runtime.store while uvicorn serves).
        self._lock = threading.Lock()
        self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise StateFileError(f"cannot open state file {self.path}: {exc}") from None
        self._closed = False
        try:
            self._prepare()
        except sqlite3.Error as exc:
            self._db.close()
            raise StateFileError(f"{self.path} is not a usable state file: {exc}") from None
        return self._db

    def _prepare(self) -> None:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(
                f"it was written by a newer emulator (schema {version} > {SCHEMA_VERSION})"
            )
        mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise sqlite3.DatabaseError(f"WAL journal mode refused (got {mode})")
        self._db.execute("PRAGMA synchronous=NORMAL")
        # A second process (a reader such as `sqlite3 state.db`) may hold a lock briefly.
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(_SCHEMA)
        self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    @property
    def _conn(self) -> sqlite3.Connection:
        # An app's lifespan closes the backend on shutdown; a test that runs the same
        # app again (a second TestClient block) gets the file reopened, not an error.
        return self._open() if self._closed else self._db

    def put(self, tenant: str, table: str, key: str, value: Json) -> None:
        with self._lock:
            self._conn.execute(_UPSERT, (tenant, table, key, _encode(value)))

    def delete(self, tenant: str, table: str, key: str) -> None:
        with self._lock:
            self._conn.execute(
                "DELETE FROM rows WHERE tenant = ? AND tbl = ? AND key = ?", (tenant, table, key)
            )

    def clear(self, tenant: str | None) -> None:
        with self._lock:
            if tenant is None:
                self._conn.execute("DELETE FROM rows")
            else:
                self._conn.execute("DELETE FROM rows WHERE tenant = ?", (tenant,))

    def replace(
        self, rows: Iterable[Row], meta: Mapping[str, Json], tenant: str | None = None
    ) -> None:
        encoded = [(t, tbl, k, _encode(v)) for t, tbl, k, v in rows]
        with self._lock:
            db = self._conn
            db.execute("BEGIN IMMEDIATE")
            try:
                if tenant is None:
                    db.execute("DELETE FROM rows")
                else:
                    db.execute("DELETE FROM rows WHERE tenant = ?", (tenant,))
                db.executemany(_UPSERT, encoded)
                db.executemany(_PUT_META, [(k, _encode(v)) for k, v in meta.items()])
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def load(self) -> Iterator[Row]:
        with self._lock:
            found = self._conn.execute(
                "SELECT tenant, tbl, key, value FROM rows ORDER BY rowid"
            ).fetchall()
        for tenant, table, key, value in found:
            yield tenant, table, key, _decode(value)

    def get_meta(self, key: str) -> Json | None:
        with self._lock:
            found = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if found is None else _decode(found[0])

    def put_meta(self, key: str, value: Json) -> None:
        with self._lock:
            self._conn.execute(_PUT_META, (key, _encode(value)))

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._db.close()
                self._closed = True


def _encode(value: Json) -> str:
    # Compact, and key order kept: a row reads back exactly as it was put.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _decode(text: str) -> Any:
    return json.loads(text)
