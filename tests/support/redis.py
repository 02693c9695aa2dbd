"""A real Redis for the tests: ``redis-server`` on a free loopback port, no persistence.

Started once per test session (``redis_server`` fixture in tests/conftest.py); each
test that uses it gets the database emptied first (``redis_url``). Debian's
``redis-server`` package provides the binary (``.ci/run`` installs it); without it
those tests are skipped with a message saying so (failed in CI: ``tests.support.tools``).
Valkey's ``valkey-server`` takes the same options and is used if it is the one installed.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

BINARY = shutil.which("redis-server") or shutil.which("valkey-server")
MISSING = "redis-server is not installed (Debian/Ubuntu: apt-get install redis-server)"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    """One ``redis-server`` process bound to 127.0.0.1, saving nothing to disk."""

    def __init__(self) -> None:
        if BINARY is None:
            raise RuntimeError(MISSING)
        self.port = free_port()
        self._dir = tempfile.TemporaryDirectory(prefix="emulator-redis-")
        self.proc = self._start()

    def restart(self) -> None:
        """A new, empty server on the same port (after ``proc`` was killed)."""
        if self.proc.stderr is not None:
            self.proc.stderr.close()
        self.proc = self._start()

    def _start(self) -> subprocess.Popen[str]:
        assert BINARY is not None  # checked in __init__
        proc = subprocess.Popen(
            [
                BINARY,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self._dir.name,
                "--protected-mode",
                "yes",
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._wait(proc)
        return proc

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _wait(self, proc: subprocess.Popen[str]) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"redis-server exited: {proc.stderr and proc.stderr.read()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not answer within 10 s")

    def flush(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall(b"FLUSHALL\r\n")
            if not sock.recv(16).startswith(b"+OK"):
                raise RuntimeError("FLUSHALL failed")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stderr is not None:
            self.proc.stderr.close()
        self._dir.cleanup()

    @property
    def directory(self) -> Path:
        return Path(self._dir.name)
