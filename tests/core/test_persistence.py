"""The SQLite state file: order, atomic restore, restarts, and ``kill -9`` losing nothing."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.cli import main
from emulator.core.sqlite import SqliteBackend, StateFileError
from emulator.core.store import Store
from emulator.settings import Settings
from tests.support.records import Thing, things
from tests.test_cli import LINE


def _rows(backend: SqliteBackend) -> list[tuple[str, str, str, Any]]:
    return list(backend.load())


def test_rows_load_in_first_put_order(tmp_path: Path) -> None:
    backend = SqliteBackend(tmp_path / "s.db")
    for key in ("b", "a", "c"):
        backend.put("t", "tbl", key, {"k": key})
    backend.put("t", "tbl", "a", {"k": "a2"})  # a re-put keeps its place
    backend.delete("t", "tbl", "b")
    backend.put("t", "tbl", "b", {"k": "b2"})  # a deleted and re-made row goes last
    assert [(k, v["k"]) for _, _, k, v in _rows(backend)] == [("a", "a2"), ("c", "c"), ("b", "b2")]


def test_clear_one_tenant_or_all(tmp_path: Path) -> None:
    backend = SqliteBackend(tmp_path / "s.db")
    backend.put("t1", "x", "1", {})
    backend.put("t2", "x", "1", {})
    backend.clear("t1")
    assert [r[0] for r in _rows(backend)] == ["t2"]
    backend.clear(None)
    assert _rows(backend) == []


def test_replace_is_all_or_nothing(tmp_path: Path) -> None:
    backend = SqliteBackend(tmp_path / "s.db")
    backend.put("t", "x", "old", {"v": 1})
    with pytest.raises(TypeError):
        backend.replace([("t", "x", "new", {"v": object()})], {"seed": {"value": 3}})
    assert _rows(backend) == [("t", "x", "old", {"v": 1})]
    backend.replace([("t", "x", "new", {"v": 2})], {"seed": {"value": 3}})
    assert _rows(backend) == [("t", "x", "new", {"v": 2})]
    assert backend.get_meta("seed") == {"value": 3}
    backend.put("u", "x", "keep", {})
    backend.replace([("t", "y", "only", {})], {}, tenant="t")
    assert _rows(backend) == [("u", "x", "keep", {}), ("t", "y", "only", {})]


def test_the_file_is_wal_and_reopens_after_close(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    backend = SqliteBackend(path)
    backend.put("t", "x", "1", {"v": "é"})
    backend.close()
    backend.close()  # twice is fine
    backend.put("t", "x", "2", {})  # a closed backend reopens (a second app lifespan)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT count(*) FROM rows").fetchone()[0] == 2


def test_foreign_or_newer_files_are_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StateFileError, match="not a usable state file"):
        SqliteBackend(junk)
    newer = tmp_path / "newer.db"
    with sqlite3.connect(newer) as db:
        db.execute("PRAGMA user_version=99")
    with pytest.raises(StateFileError, match="newer emulator"):
        SqliteBackend(newer)
    with pytest.raises(StateFileError, match="cannot open"):
        SqliteBackend(tmp_path / "no" / "such" / "dir.db")


_OPS = st.lists(
    st.tuples(
        st.sampled_from(["put", "put", "delete", "reset"]),
        st.sampled_from(["a", "b"]),
        st.sampled_from(["k1", "k2", "k3", "k4"]),
        st.integers(0, 9),
    ),
    max_size=30,
)


@given(ops=_OPS)
def test_a_reopened_store_is_the_store_that_was_written(
    ops: list[tuple[str, str, str, int]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.db"
        store = Store(SqliteBackend(path), seed=5)
        for op, tenant, key, n in ops:
            table = things(store.namespace(tenant))
            if op == "put":
                table.put(key, Thing(key, n))
            elif op == "delete":
                table.delete(key)
            else:
                store.reset(tenant)
        expected = store.snapshot()
        store.backend.close()
        reopened = Store(SqliteBackend(path), seed=99)
        # Same rows, same order (snapshot dicts keep order; compare as item lists too).
        assert reopened.snapshot() == expected
        for tenant, tables in expected["tenants"].items():
            got = reopened.snapshot()["tenants"][tenant]
            assert [list(rows) for rows in got.values()] == [list(r) for r in tables.values()]
        reopened.backend.close()


# ----------------------------------------------------------------------------- through the app


def _settings(path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "seed": 7,
        "clock_start": "2025-01-15T02:50:29Z",
        "clock_frozen": True,
        "state_file": str(path),
    }
    values.update(overrides)
    return Settings(**values)


def test_a_restarted_app_has_the_state_seed_and_clock(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "state.db"
    with TestClient(create_app(_settings(path))) as client:
        user = client.post("/ai/v1/users", headers={"x-api-key": "k"}, json=None)
        user_id = user.json()["result"]["user_id"]
        client.post("/_emulator/clock", json={"advance": 3600})
        document = client.get("/_emulator/state").content
    # A different seed and clock start on the command line do not rewrite the world.
    caplog.set_level(logging.WARNING, logger="emulator")
    with TestClient(create_app(_settings(path, seed=1, clock_start="2030-01-01T00:00:00Z"))) as c:
        assert c.get("/_emulator/state").content == document
        assert c.get("/_emulator/clock").json() == {
            "now": "2025-01-15T03:50:29+00:00",
            "frozen": True,
        }
        r = c.get(f"/ai/v1/users/{user_id}", headers={"x-api-key": "k", "x-user-id": user_id})
        assert r.status_code == 200
    assert "made with seed 7" in caplog.text


def test_reset_and_restore_are_written_through(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with TestClient(create_app(_settings(path))) as client:
        client.post("/ai/v1/users", headers={"x-api-key": "k"}, json=None)
        saved = client.get("/_emulator/state").json()
        client.post("/_emulator/reset")
    with TestClient(create_app(_settings(path))) as client:
        assert client.get("/_emulator/state").json()["tenants"] == {}
        saved["seed"] = 42
        client.put("/_emulator/state", json=saved)
    with TestClient(create_app(_settings(path))) as client:
        assert client.get("/_emulator/state").json() == saved


def test_a_running_clock_keeps_running_across_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    settings = _settings(path, clock_frozen=False, clock_start="2040-01-01T00:00:00Z")
    with TestClient(create_app(settings)) as client:
        client.post("/_emulator/clock", json={"advance": 86400})
    with TestClient(create_app(settings)) as client:
        now = client.get("/_emulator/clock").json()
        assert now["frozen"] is False
        assert now["now"].startswith("2040-01-02T00:00:0")


@pytest.mark.parametrize("kind", ["directory", "junk"])
def test_an_unusable_state_file_exits_2(
    tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "state"
    if kind == "directory":
        target.mkdir()
    else:
        target.write_bytes(b"\x00garbage" * 512)
    assert main(["serve", "--port", "0", "--state-file", str(target)]) == 2
    assert "state file" in capsys.readouterr().err


# ----------------------------------------------------------------------------- kill -9


def _start(path: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emulator",
            "--port",
            "0",
            "--state-file",
            str(path),
            "--seed",
            "7",
            "--clock-start",
            "2025-01-15T02:50:29Z",
            "--freeze-clock",
            "--set",
            "kintsugi.min_voice_seconds=0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    match = LINE.search(proc.stdout.readline())
    assert match, proc.stderr.read() if proc.stderr else "no start-up line"
    return proc, match.group(1)


def _kill(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=15)
    assert proc.returncode == -signal.SIGKILL


def test_kill_9_loses_no_acknowledged_write(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    proc, base = _start(path)
    try:
        with httpx.Client(base_url=base, timeout=10) as c:
            # Phase 1: writes through both vendors and the control plane.
            for _ in range(5):
                assert c.post("/ai/v1/users", headers={"x-api-key": "a"}).status_code == 201
                r = c.post(
                    "/v2/initiate",
                    headers={"x-api-key": "b"},
                    json={"is_initiated": True, "user_id": "u"},
                )
                assert r.status_code == 201
            assert c.post("/_emulator/clock", json={"advance": 90}).status_code == 200
            document = c.get("/_emulator/state").json()
            assert set(document["tenants"]) == {"a", "b"}

        # Phase 2: a writer keeps going while the process is killed under it.
        acknowledged: list[str] = []
        unexpected: list[str] = []
        stop = threading.Event()

        def writer() -> None:
            with httpx.Client(base_url=base, timeout=5) as w:
                while not stop.is_set():
                    try:
                        r = w.post("/ai/v1/users", headers={"x-api-key": "c"})
                    except httpx.TransportError:
                        return  # the kill: this write was never acknowledged
                    if r.status_code != 201:
                        unexpected.append(r.text)
                        return
                    acknowledged.append(r.json()["result"]["user_id"])

        thread = threading.Thread(target=writer)
        thread.start()
        deadline = time.monotonic() + 20
        while len(acknowledged) < 40 and time.monotonic() < deadline:
            time.sleep(0.005)
        _kill(proc)
        stop.set()
        thread.join(timeout=10)
        assert unexpected == []
        assert len(acknowledged) >= 40
    finally:
        if proc.poll() is None:
            _kill(proc)

    proc, base = _start(path)
    try:
        with httpx.Client(base_url=base, timeout=10) as c:
            after = c.get("/_emulator/state").json()
            for user_id in acknowledged:
                h = {"x-api-key": "c", "x-user-id": user_id}
                assert c.get(f"/ai/v1/users/{user_id}", headers=h).status_code == 200
    finally:
        proc.terminate()
        proc.communicate(timeout=15)
    assert after["seed"] == 7
    assert after["clock"] == {"now": "2025-01-15T02:51:59+00:00", "frozen": True}
    for tenant in ("a", "b"):
        assert after["tenants"][tenant] == document["tenants"][tenant]


# ----------------------------------------------------------------------------- one process


def test_a_second_opener_of_the_file_is_refused_until_the_first_closes(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    first = SqliteBackend(path)
    with pytest.raises(StateFileError, match="in use by another emulator process") as caught:
        SqliteBackend(path)
    assert str(path) in str(caught.value)
    assert "--state-url" in str(caught.value)
    first.put("t", "x", "1", {})
    first.close()
    second = SqliteBackend(path)
    assert _rows(second) == [("t", "x", "1", {})]
    second.close()


def test_a_second_process_on_the_file_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "state.db"
    proc, _ = _start(path)
    try:
        assert main(["serve", "--port", "0", "--state-file", str(path)]) == 2
    finally:
        proc.terminate()
        proc.communicate(timeout=15)
    err = capsys.readouterr().err
    assert f"state file {path} is in use" in err
    assert "Traceback" not in err


def test_a_damaged_file_exits_2_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "state.db"
    backend = SqliteBackend(path)
    backend.replace([("t", "x", str(n), {"pad": "p" * 500}) for n in range(400)], {})
    backend.close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page = db.execute("PRAGMA page_size").fetchone()[0]
        pages = db.execute("PRAGMA page_count").fetchone()[0]
    assert pages > 10
    with path.open("r+b") as f:  # a page in the middle of the rows' b-tree
        f.seek(page * (pages // 2))
        f.write(os.urandom(page))
    assert main(["serve", "--port", "0", "--state-file", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path} is not a usable state file: " in err
    assert "malformed" in err or "damaged" in err
    assert "Traceback" not in err


def test_a_refused_write_answers_503_and_changes_nothing_in_memory(tmp_path: Path) -> None:
    """A full disk, made by capping the file's pages (SQLITE_FULL, as on a full disk)."""
    path = tmp_path / "state.db"
    with TestClient(create_app(_settings(path))) as client:
        rt = client.app.state.runtime  # type: ignore[attr-defined]
        db: sqlite3.Connection = rt.store.backend._db  # the test reaches in to fill the disk
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count={pages + 1}")
        made: list[str] = []
        answer = None
        for _ in range(200):
            answer = client.post("/ai/v1/users", headers={"x-api-key": "k"}, json=None)
            if answer.status_code != 201:
                break
            made.append(answer.json()["result"]["user_id"])
        assert answer is not None
        assert answer.status_code == 503
        assert answer.headers["retry-after"]
        assert answer.json() == {"detail": "Service Unavailable"}  # Asleep's error shape
        in_memory = client.get("/_emulator/state").json()["tenants"]["k"]["asleep.users"]
        assert list(in_memory) == made  # the refused user is not there
        refused = client.put("/_emulator/state", json={**client.get("/_emulator/state").json()})
        assert refused.status_code in (200, 503)
    with sqlite3.connect(path) as check:
        query = "SELECT key FROM rows WHERE tbl = 'asleep.users' ORDER BY rowid"
        stored = [r[0] for r in check.execute(query)]
    assert sorted(stored) == sorted(made)
