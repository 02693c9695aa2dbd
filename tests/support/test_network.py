"""The loopback guard itself: every host the suite names that is not this machine is
refused, whether looked up or dialled, and the attempt is recorded so that the test that
made it fails (``tests/conftest.py``)."""

from __future__ import annotations

import socket

import httpx
import pytest

from tests.conftest import GUARD
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
