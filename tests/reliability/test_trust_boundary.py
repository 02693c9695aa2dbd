"""The trust boundary of a real server (issue 13), each point with its figure.

* a control token closes every ``/_emulator`` operation but health;
* no API key in clear: the debug log (access log included) and every listing;
* callbacks: outside ``webhooks.allowed_hosts`` nothing is dialled, and what a
  receiver answers is shown to its tenant only;
* hostile control input: huge numbers, deep nesting and NaN are 400s; a backtracking
  fault pattern costs nothing (RE2);
* the state file: a second process and a damaged file exit 2 with one line; a write
  the disk refuses answers 503 and nothing of it stays in memory.
"""

from __future__ import annotations

import os
import re
import resource
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from emulator.core.secrets import mask
from tests.reliability.conftest import Launch

pytestmark = [pytest.mark.reliability, pytest.mark.e2e]

TOKEN = "reliability-control-token"
SECRET_KEY = "team-secret-key-4711"
_LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")


def test_a_control_token_closes_every_control_operation(launch: Launch) -> None:
    live = launch(env={"EMULATOR_CONTROL_TOKEN": TOKEN})
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=live.base_url, timeout=30) as client:
        doc = client.get("/_emulator/openapi.json", headers=bearer).json()
        answers: dict[str, int] = {}
        for path, item in doc["paths"].items():
            if not path.startswith("/_emulator"):
                continue
            for method in item:
                if method in ("get", "put", "post", "delete", "patch"):
                    concrete = re.sub(r"\{[^}]+\}", "x", path)
                    answer = client.request(method.upper(), concrete)
                    answers[f"{method.upper()} {path}"] = answer.status_code
    opened = {op: status for op, status in answers.items() if status != 401}
    print(
        f"\ncontrol token set: {len(answers)} control operations without it, "
        f"{len(answers) - len(opened)} answered 401; open: {opened}"
    )
    assert set(opened) == {
        "GET /_emulator/health",
        "GET /_emulator/login",  # the form
        "POST /_emulator/login",
        "POST /_emulator/logout",
        "POST /_emulator/demo/receiver",  # called by the emulator's own outbox; keeps nothing
    }
    assert opened["GET /_emulator/health"] == 200


def test_no_key_in_clear_in_the_debug_log_or_any_listing(launch: Launch) -> None:
    live = launch(log_level="debug")
    h = {"x-api-key": SECRET_KEY}
    with httpx.Client(base_url=live.base_url, timeout=30) as client:
        user = client.post("/ai/v1/users", headers=h).json()["result"]["user_id"]
        client.get("/data/v1/sessions", headers={**h, "x-user-id": "G-nobody"})
        client.get("/v2/predict/users/u", headers={"x-api-key": ""})
        client.post("/_emulator/faults", json={"api_key": SECRET_KEY, "latency_ms": 1})
        client.put("/_emulator/callbacks/failures", json={"mode": "drop", "api_key": SECRET_KEY})
        night = {"callback_url": "http://127.0.0.1:9/hook", "hours": 0.5}
        client.post(f"/_emulator/asleep/users/{user}/nights", headers=h, json=night)
        client.post("/_emulator/callbacks/flush", params={"api_key": SECRET_KEY, "timeout": 10})
        shown = ""
        for path in (
            "/_emulator/requests",
            f"/_emulator/requests?api_key={SECRET_KEY}",
            "/_emulator/callbacks",
            "/_emulator/callbacks/failures",
            "/_emulator/faults",
            "/_emulator/tenants",
        ):
            shown += client.get(path).text
        filtered = client.get("/_emulator/requests", params={"api_key": mask(SECRET_KEY)})
    live.server.proc.terminate()
    access, _ = live.server.proc.communicate(timeout=15)  # uvicorn logs access to stdout
    log = live.log_text() + access
    print(
        f"\nkey {SECRET_KEY!r}: {log.count(SECRET_KEY)} times in {len(log)} bytes of debug log, "
        f"{shown.count(SECRET_KEY)} times in {len(shown)} bytes of listings; its fingerprint "
        f"{mask(SECRET_KEY)} {shown.count(mask(SECRET_KEY))} times; filtering by the "
        f"fingerprint finds {filtered.json()['count']} requests"
    )
    assert SECRET_KEY not in log
    assert SECRET_KEY not in shown
    assert mask(SECRET_KEY) in shown
    assert filtered.json()["count"] >= 2
    assert f"api_key={mask(SECRET_KEY)}" in log  # the access log shows the query, masked


def _listener(host: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((host, 0))
    sock.listen(16)
    sock.setblocking(False)
    return sock


def _accepted(sock: socket.socket) -> int:
    count = 0
    while True:
        try:
            conn, _ = sock.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1


def test_callbacks_outside_the_allow_list_are_never_dialled(launch: Launch) -> None:
    live = launch("webhooks.allowed_hosts=127.0.0.1/32")
    outside = _listener("127.0.0.2")
    h = {"x-api-key": "k"}
    try:
        with httpx.Client(base_url=live.base_url, timeout=30) as client:
            user = client.post("/ai/v1/users", headers=h).json()["result"]["user_id"]
            url = f"http://127.0.0.2:{outside.getsockname()[1]}/hook"
            night = {"callback_url": url, "hours": 1}
            queued = client.post(f"/_emulator/asleep/users/{user}/nights", headers=h, json=night)
            client.post("/_emulator/callbacks/flush", params={"timeout": 10})
            log = client.get("/_emulator/callbacks").json()["callbacks"]
        time.sleep(0.2)
        dialled = _accepted(outside)
    finally:
        outside.close()
    notes = {d["status"]: d["attempts"][0]["error"] for d in log}
    print(
        f"\nallowed_hosts 127.0.0.1/32, a night calling back 127.0.0.2: "
        f"{len(queued.json()['deliveries'])} deliveries, statuses {notes}; connections "
        f"received by 127.0.0.2: {dialled}"
    )
    assert dialled == 0
    assert {d["status"] for d in log} == {"failed"}
    assert all(len(d["attempts"]) == 1 for d in log)  # refused at once, never retried


def test_hostile_control_input_is_400_and_costs_nothing(launch: Launch) -> None:
    live = launch()
    bodies = [
        b'{"latency_ms": ' + b"9" * 100_000 + b"}",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"latency_ms": NaN}',
    ]
    statuses = []
    with httpx.Client(base_url=live.base_url, timeout=30) as client:
        for path, method in (("/_emulator/faults", "POST"), ("/_emulator/state", "PUT")):
            for body in bodies:
                statuses.append(client.request(method, path, content=body).status_code)
        rule = {"path": "re:/ai/v1/users/(a+)+$", "latency_ms": 0}
        assert client.post("/_emulator/faults", json=rule).status_code == 201
        hostile = "/ai/v1/users/" + "a" * 5000 + "!"
        started = time.perf_counter()
        answer = client.get(hostile, headers={"x-api-key": "k"})
        took = (time.perf_counter() - started) * 1000
    reference = _python_re_seconds(22)
    print(
        f"\nhostile control JSON: {statuses}; GET with 5,000 'a's under rule (a+)+$: "
        f"{answer.status_code} in {took:.1f} ms (Python's re on just 22 'a's: "
        f"{reference * 1000:.0f} ms, doubling per 'a')"
    )
    assert statuses == [400] * 6
    assert answer.status_code in (401, 404)
    assert live.crashes() == []


def _python_re_seconds(length: int) -> float:
    """What the same pattern costs Python's backtracking engine (for comparison)."""
    pattern = re.compile(r"/ai/v1/users/(a+)+$")
    started = time.perf_counter()
    pattern.fullmatch("/ai/v1/users/" + "a" * length + "!")
    return time.perf_counter() - started


# ----------------------------------------------------------------------------- state file


def _serve(path: Path, *extra: str, limit: int | None = None) -> subprocess.Popen[str]:
    def cap() -> None:
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.Popen(
        [sys.executable, "-m", "emulator", "--port", "0", "--state-file", str(path), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=cap,
    )


def _base(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    found = _LISTENING.search(proc.stdout.readline())
    assert found, proc.stderr.read() if proc.stderr else "no start-up line"
    return found.group(1)


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.terminate()
    return proc.communicate(timeout=15)[1]


def test_one_process_per_state_file_and_a_damaged_file_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    first = _serve(path)
    try:
        _base(first)
        second = subprocess.run(
            [sys.executable, "-m", "emulator", "--port", "0", "--state-file", str(path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        _stop(first)
    damaged = tmp_path / "damaged.db"
    with sqlite3.connect(damaged) as db:
        db.execute("CREATE TABLE t (x)")
        db.executemany("INSERT INTO t VALUES (?)", [("p" * 400,) for _ in range(500)])
    with damaged.open("r+b") as f:
        f.seek(4096 * 20)
        f.write(os.urandom(4096))
    third = subprocess.run(
        [sys.executable, "-m", "emulator", "--port", "0", "--state-file", str(damaged)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    print(f"\nsecond process: exit {second.returncode}: {second.stderr.strip()}")
    print(f"damaged file: exit {third.returncode}: {third.stderr.strip()}")
    assert second.returncode == 2
    assert f"state file {path} is in use" in second.stderr
    assert "--state-url" in second.stderr
    assert third.returncode == 2
    assert "is not a usable state file" in third.stderr
    for err in (second.stderr, third.stderr):
        assert "Traceback" not in err
        assert len(err.strip().splitlines()) == 1


def test_a_full_disk_answers_503_and_keeps_memory_as_stored(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    setup = _serve(path)
    _base(setup)
    _stop(setup)
    size = sum(p.stat().st_size for p in tmp_path.iterdir())
    proc = _serve(path, limit=size + 64 * 1024)  # the file may grow by 64 KB: then it is full
    made: list[str] = []
    refused = 0
    try:
        base = _base(proc)
        with httpx.Client(base_url=base, headers={"x-api-key": "k"}, timeout=30) as client:
            for _ in range(400):
                answer = client.post("/ai/v1/users")
                if answer.status_code == 201:
                    made.append(answer.json()["result"]["user_id"])
                    continue
                assert answer.status_code == 503, answer.text
                assert answer.headers["retry-after"]
                refused += 1
                if refused == 5:
                    break
            users = client.get("/_emulator/state").json()["tenants"].get("k", {})
            in_memory = list(users.get("asleep.users", {}))
    finally:
        log = _stop(proc)
    again = _serve(path)
    try:
        with httpx.Client(base_url=_base(again), timeout=30) as client:
            after = client.get("/_emulator/state").json()["tenants"].get("k", {})
            stored = list(after.get("asleep.users", {}))
    finally:
        _stop(again)
    print(
        f"\nfile size capped at +64 KB: {len(made)} users created, then {refused} writes "
        f"answered 503; in memory {len(in_memory)} users, on disk after a restart "
        f"{len(stored)}; tracebacks in the log: {log.count('Traceback')}"
    )
    assert refused == 5
    assert in_memory == made
    assert stored == made
    assert "Traceback" not in log
