"""Server processes for the benchmark: launch, wait for the first 200, measure, stop."""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

_LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")


@dataclass
class Server:
    """A running server process and the figures of its start."""

    proc: subprocess.Popen[str]
    port: int
    seconds_to_200: float

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_bytes(self) -> int:
        """Resident memory of the server process (Linux)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("VmRSS not found")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()


def launch(
    args: list[str],
    *,
    health_path: str,
    env: dict[str, str] | None = None,
    log: str | None = None,
) -> Server:
    """Start ``python -m ARGS`` and return once ``health_path`` answers 200.

    ``log``: a file for the server's stderr (its tracebacks), else it is discarded.
    """
    # Measure the package as `pip install .` leaves it: with compiled bytecode. Some
    # machines set PYTHONDONTWRITEBYTECODE, which would make an editable install
    # recompile every module at each launch while the baseline's libraries do not.
    environ = {**os.environ, **(env or {})}
    environ.pop("PYTHONDONTWRITEBYTECODE", None)
    stderr = open(log, "ab") if log else None  # noqa: SIM115 - the child keeps it
    started = time.perf_counter()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", *args],
            stdout=subprocess.PIPE,
            stderr=stderr if stderr is not None else subprocess.DEVNULL,
            text=True,
            env=environ,
        )
    finally:
        if stderr is not None:
            stderr.close()
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = _LISTENING.search(line)
    if match is None:
        proc.kill()
        raise RuntimeError(f"server did not start: {line!r}")
    port = int(match.group(1))
    deadline = started + 30
    while True:
        if _get_status(port, health_path) == 200:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            raise RuntimeError("server never answered 200")
        time.sleep(0.002)
    return Server(proc, port, time.perf_counter() - started)


def _get_status(port: int, path: str) -> int | None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    except OSError:
        return None
    finally:
        conn.close()


def emulator(*extra: str, env: dict[str, str] | None = None, log: str | None = None) -> Server:
    return launch(
        ["emulator", "serve", "--port", "0", *extra],
        health_path="/_emulator/health",
        env=env,
        log=log,
    )


def baseline(body_file: str | None = None) -> Server:
    args = ["emulator.bench.baseline", "--port", "0"]
    if body_file:
        args += ["--body", body_file]
    return launch(args, health_path="/health")
