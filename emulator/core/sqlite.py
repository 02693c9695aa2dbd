"""The SQLite state file (``--state-file``): every table row, written through on each put.

One table, ``rows(tenant, tbl, key, value)``, holds what ``Store`` keeps in memory;
``meta`` holds the few world facts that are not rows (the seed, the virtual clock).

Durability. The connection is in autocommit mode, so every ``put``/``delete`` is its
own transaction, committed before ``Table.put`` returns and so before the request is
acknowledged. The journal is WAL with ``synchronous=NORMAL``: a commit is a
``write()`` of the WAL frames to the OS, without ``fsync`` (that waits for
checkpoints). Data the OS has accepted survives the death of the process, so a
``kill -9`` loses nothing acknowledged (tests/core/test_persistence.py proves it); an OS
crash or power cut may lose the last commits, never the file's integrity. That is the
documented contract of WAL + NORMAL (sqlite.org/pragma.html#pragma_synchronous) and the
right trade for an emulator: ``FULL`` would add an fsync to every write.

Order. Rows load in ``rowid`` order, i.e. first-put order; an upsert keeps its rowid,
so a re-put row keeps its place, exactly like the in-memory ``dict`` of a ``Table``.

One process per file. The file is locked (``flock``, exclusive, on a descriptor held
as long as the connection) when it is opened: a second emulator on the same file
would not see the first one's writes and would overwrite its rows, so it stops with
``StateFileError`` naming the file and the shared backend meant for several
processes. A damaged file (``quick_check`` fails, a row does not decode) is a
``StateFileError`` too; the CLI turns both into exit status 2 and one line.

Failures. A write SQLite refuses (a full disk, an I/O error) raises
``store.BackendError``: the request answers 503 and the store reloads the tenant from
the file, so memory never shows what was not kept.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from emulator.core.backend import BackendError, Json, Row

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
    """The state file cannot be opened, is in use or is damaged (the CLI exits 2)."""


# Said when the file is taken: the backend several processes can share.
SHARED_BACKEND_HINT = "for several processes on one world use the shared backend (--state-url)"


class SqliteBackend:
    """A ``store.Backend`` keeping rows in one SQLite file."""

    persistent = True

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        # One event loop uses this connection; the lock covers the other threads (a
        # restore writing from a worker thread, a test poking the store directly).
        self._lock = threading.Lock()
        self._lock_fd: int | None = None
        self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        self._take_file()
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            self._release_file()
            raise StateFileError(f"cannot open state file {self.path}: {exc}") from None
        self._closed = False
        try:
            self._prepare()
        except sqlite3.Error as exc:
            self._db.close()
            self._release_file()
            raise StateFileError(
                f"{self.path} is not a usable state file: {exc} (move it aside or restore a "
                "copy, then start again)"
            ) from None
        return self._db

    def _take_file(self) -> None:
        """Lock the file for this process, or say who may not have it."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise StateFileError(f"cannot open state file {self.path}: {exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise StateFileError(
                f"state file {self.path} is in use by another emulator process; a state file "
                f"serves one process ({SHARED_BACKEND_HINT})"
            ) from None
        self._lock_fd = fd

    def _release_file(self) -> None:
        # Only after SQLite closed its own descriptors: closing any descriptor of the
        # file drops the process's POSIX locks on it, SQLite's included.
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

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
        problems = [row[0] for row in self._db.execute("PRAGMA quick_check(3)").fetchall()]
        if problems != ["ok"]:
            raise sqlite3.DatabaseError(f"it is damaged ({'; '.join(problems)})")

    @property
    def _conn(self) -> sqlite3.Connection:
        # An app's lifespan closes the backend on shutdown; a test that runs the same
        # app again (a second TestClient block) gets the file reopened, not an error.
        return self._open() if self._closed else self._db

    def put(self, tenant: str, table: str, key: str, value: Json) -> None:
        encoded = _encode(value)
        with self._lock, _refused(self.path, tenant):
            self._conn.execute(_UPSERT, (tenant, table, key, encoded))

    def delete(self, tenant: str, table: str, key: str) -> None:
        with self._lock, _refused(self.path, tenant):
            self._conn.execute(
                "DELETE FROM rows WHERE tenant = ? AND tbl = ? AND key = ?", (tenant, table, key)
            )

    def clear(self, tenant: str | None) -> None:
        with self._lock, _refused(self.path, tenant):
            if tenant is None:
                self._conn.execute("DELETE FROM rows")
            else:
                self._conn.execute("DELETE FROM rows WHERE tenant = ?", (tenant,))

    def replace(
        self, rows: Iterable[Row], meta: Mapping[str, Json], tenant: str | None = None
    ) -> None:
        encoded = [(t, tbl, k, _encode(v)) for t, tbl, k, v in rows]
        with self._lock, _refused(self.path, tenant):
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
                with contextlib.suppress(sqlite3.Error):  # SQLite may have rolled back
                    db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def load(self, tenant: str | None = None) -> Iterator[Row]:
        query = "SELECT tenant, tbl, key, value FROM rows"
        params: tuple[str, ...] = ()
        if tenant is not None:
            query, params = query + " WHERE tenant = ?", (tenant,)
        try:
            with self._lock:
                found = self._conn.execute(query + " ORDER BY rowid", params).fetchall()
            decoded = [(t, tbl, k, _decode(v)) for t, tbl, k, v in found]
        except (sqlite3.DatabaseError, ValueError) as exc:
            raise StateFileError(f"state file {self.path} is damaged ({exc})") from None
        yield from decoded

    def get_meta(self, key: str) -> Json | None:
        try:
            with self._lock:
                found = self._conn.execute(
                    "SELECT value FROM meta WHERE key = ?", (key,)
                ).fetchone()
            return None if found is None else _decode(found[0])
        except (sqlite3.DatabaseError, ValueError) as exc:
            raise StateFileError(f"state file {self.path} is damaged ({exc})") from None

    def put_meta(self, key: str, value: Json) -> None:
        with self._lock, _refused(self.path, None):
            self._conn.execute(_PUT_META, (key, _encode(value)))

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._db.close()
                self._closed = True
                self._release_file()


@contextlib.contextmanager
def _refused(path: Path, tenant: str | None) -> Iterator[None]:
    """A write SQLite refuses becomes a ``BackendError`` (503; memory is reloaded)."""
    try:
        yield
    except sqlite3.Error as exc:
        raise BackendError(f"state file {path}: write refused: {exc}", tenant) from None


def _encode(value: Json) -> str:
    # Compact, and key order kept: a row reads back exactly as it was put.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _decode(text: str) -> Any:
    return json.loads(text)
