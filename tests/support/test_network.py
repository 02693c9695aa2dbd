"""The loopback guard itself: every host the suite names that is not this machine is
refused, whether looked up or dialled, and the attempt is recorded so that the test that
made it fails (``tests/conftest.py``)."""

from __future__ import annotations

import socket
import subprocess
import sys

import httpx
import pytest

from tests.conftest import CHILDREN_LOG, GUARD
from tests.support.network import Guard, OffMachineError

# Hosts the suite's tests name as values (origins, redirect targets, bad upstreams,
# bind addresses): none of them may ever be resolved or dialled.
NAMED = ("0.0.0.0", "a", "anything.test", "elsewhere.test", "evil.example", "10.0.0.2")


@pytest.mark.parametrize("host", NAMED)
def test_a_host_off_the_machine_is_refused_and_recorded(host: str) -> None:
    guard = Guard()
    with pytest.raises(OffMachineError, match=r"tests may only talk to 127\.0\.0\.1"):
        guard.check_host(host, "socket.getaddrinfo of")
    assert len(guard.violations) == 1
    assert repr(host) in guard.violations[0]


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "localhost", None])
def test_this_machine_passes(host: str | None) -> None:
    guard = Guard()
    guard.check_host(host, "socket.getaddrinfo of")
    assert guard.violations == []


@pytest.mark.parametrize("host", NAMED)
def test_the_installed_guard_stops_a_real_client(host: str) -> None:
    """Through the patched socket module, as the code under test would go: the lookup
    (or the connect, for an address) is refused before anything leaves the machine.
    The recorded attempt is taken back so that this test, which made it on purpose,
    does not fail."""
    start = len(GUARD.violations)
    try:
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://{host}:9/", timeout=2)
        tried = GUARD.violations[start:]
        assert tried
        assert all(repr(host) in line for line in tried)
    finally:
        del GUARD.violations[start:]


def test_a_udp_send_off_the_machine_is_refused() -> None:
    start = len(GUARD.violations)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            with pytest.raises(OffMachineError):
                sock.sendto(b"x", ("10.0.0.2", 9))
            assert len(GUARD.violations) == start + 1
        finally:
            del GUARD.violations[start:]


@pytest.mark.parametrize("host", ["0.0.0.0", "", "::", "evil.example", "10.0.0.2"])
def test_a_server_binds_loopback_only(host: str) -> None:
    """A wildcard bind listens beyond this machine; a name there is a lookup."""
    family = socket.AF_INET6 if host == "::" else socket.AF_INET
    start = len(GUARD.violations)
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        try:
            with pytest.raises(OffMachineError):
                sock.bind((host, 0))
            assert len(GUARD.violations) == start + 1
        finally:
            del GUARD.violations[start:]
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))  # loopback: allowed, recorded nowhere
    assert len(GUARD.violations) == start


def test_reverse_lookups_off_the_machine_are_refused() -> None:
    start = len(GUARD.violations)
    try:
        with pytest.raises(OffMachineError):
            socket.gethostbyaddr("10.0.0.2")
        with pytest.raises(OffMachineError):
            socket.getnameinfo(("10.0.0.2", 80), 0)
        assert len(GUARD.violations) == start + 2
    finally:
        del GUARD.violations[start:]


def test_a_child_python_process_is_guarded_and_reported() -> None:
    """A process the tests start inherits the guard (tests/support/child/sitecustomize.py)
    and reports to the session: the lookup fails there and is collected here."""
    start = len(GUARD.violations)
    code = "import socket; socket.getaddrinfo('evil.example', 80)"
    try:
        child = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
        )
        assert child.returncode != 0
        assert "tests may only talk to 127.0.0.1" in child.stderr
        GUARD.collect(CHILDREN_LOG)
        tried = GUARD.violations[start:]
        assert len(tried) == 1
        assert "'evil.example'" in tried[0]
        assert tried[0].startswith("(process ")
    finally:
        del GUARD.violations[start:]


def test_an_attempt_outside_any_test_is_reported_with_the_next_check() -> None:
    """What a module or session fixture (or a late thread) tried is not lost: the next
    check reports everything since the last one, once."""
    guard = Guard()
    with pytest.raises(OffMachineError):
        guard.check_host("evil.example", "socket.getaddrinfo of")
    assert len(guard.unreported()) == 1
    assert guard.unreported() == []
