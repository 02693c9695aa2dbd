"""A real emulator process per test, with its stderr kept for the failure report."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from emulator.bench import procs

API_KEY = "reliability"


@dataclass
class Live:
    """A ``vendor-emulator serve`` subprocess on 127.0.0.1."""

    server: procs.Server
    log: Path

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def port(self) -> int:
        return self.server.port

    def rss(self) -> int:
        return self.server.rss_bytes()

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used (Linux)."""
        fields = Path(f"/proc/{self.server.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def alive(self) -> bool:
        return self.server.proc.poll() is None

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def crashes(self) -> list[str]:
        """Lines where the server logged an unhandled exception (each became a 500)."""
        return [line for line in self.log_text().splitlines() if "unhandled error" in line]


Launch = Callable[..., Live]


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[Launch]:
    """``launch("kintsugi.min_voice_seconds=1", ..., args=(flags,), env={...})``: start a
    server with settings."""
    started: list[Live] = []

    def start(
        *assignments: str,
        args: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
        log_level: str = "warning",
    ) -> Live:
        log = tmp_path / f"server-{len(started)}.log"
        extra = [arg for a in assignments for arg in ("--set", a)]
        server = procs.emulator("--log-level", log_level, *args, *extra, env=env, log=str(log))
        live = Live(server, log)
        started.append(live)
        return live

    yield start
    for live in started:
        live.server.stop()


def mb(value: float) -> str:
    return f"{value / (1024 * 1024):.1f} MB"
