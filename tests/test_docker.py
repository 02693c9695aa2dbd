"""The image's health check script (docker/healthcheck), run here against real servers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.network import RefusingPort

SCRIPT = Path(__file__).resolve().parents[1] / "docker" / "healthcheck"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("bash") is None, reason="the check is a bash script"),
]


def start(address_file: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "emulator", "--port", "0"],
        env={**os.environ, "EMULATOR_ADDRESS_FILE": str(address_file)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    proc.wait(timeout=15)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Path]:
    """A running emulator; yields its address file once the server has written it."""
    address = tmp_path / "address"
    proc = start(address)
    try:
        deadline = time.monotonic() + 30
        while not address.exists() or not address.read_text().strip():
            assert time.monotonic() < deadline, "the server never wrote its address"
            time.sleep(0.02)
        yield address
    finally:
        stop(proc)


def check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("EMULATOR_")}
    return subprocess.run(
        [str(SCRIPT)], env={**clean, **env}, capture_output=True, text=True, timeout=60
    )


def test_healthy_through_the_address_file(server: Path) -> None:
    done = check({"EMULATOR_ADDRESS_FILE": str(server)})
    assert (done.returncode, done.stdout) == (0, "healthy\n"), done.stderr


def test_healthy_through_host_and_port_without_an_address_file(server: Path) -> None:
    host, port = server.read_text().strip().rsplit(":", 1)
    done = check({"EMULATOR_HOST": "0.0.0.0", "EMULATOR_PORT": port})
    assert (done.returncode, done.stdout) == (0, "healthy\n"), done.stderr
    assert host == "127.0.0.1"


def test_unhealthy_when_nothing_answers(tmp_path: Path, refusing: RefusingPort) -> None:
    done = check({"EMULATOR_PORT": str(refusing.port), "HEALTH_WAIT_MS": "100"})
    assert done.returncode == 1
    assert done.stderr == "unhealthy: no answer from /_emulator/health\n"
    done = check({"EMULATOR_ADDRESS_FILE": str(tmp_path / "never"), "HEALTH_WAIT_MS": "100"})
    assert done.returncode == 1


def test_a_check_made_while_the_server_starts_waits_for_it(tmp_path: Path) -> None:
    """Docker's first check comes one interval after the start: it waits, not fails."""
    address = tmp_path / "address"
    waiting = subprocess.Popen(
        [str(SCRIPT)],
        env={**os.environ, "EMULATOR_ADDRESS_FILE": str(address), "HEALTH_WAIT_MS": "30000"},
        stdout=subprocess.PIPE,
        text=True,
    )
    proc = start(address)
    try:
        out, _ = waiting.communicate(timeout=60)
        assert (waiting.returncode, out) == (0, "healthy\n")
    finally:
        stop(proc)
