"""Tests talk only to this machine: a session-wide guard on name resolution and sockets.

Every name lookup (``socket.getaddrinfo``, ``gethostbyname``...) and every
``connect``/``connect_ex``/``sendto`` on an internet socket is checked: only 127.0.0.0/8,
::1 and the name ``localhost`` pass. Anything else raises ``OffMachineError`` (an
``OSError``, so the code under test sees a refused network, as on an air-gapped runner)
*and* is recorded; the autouse fixture in ``tests/conftest.py`` fails the test that was
running, even when the attempt happened in a server thread that swallowed the error
(the webhook outbox retries and logs failures, it does not raise them).

Also checked: ``bind`` (a server binds loopback, never every interface, and a name
there is a lookup), ``sendmsg``, and the reverse lookups ``gethostbyaddr`` and
``getnameinfo``.

uvloop does its own resolution and connects in libuv, out of reach of these patches, so
the test session hides it: uvicorn's ``loop="auto"`` then picks asyncio, whose lookups
and connects go through the patched functions.

Python processes the tests start (the emulator served by ``python -m emulator``, a
child pytest) install the same guard through ``tests/support/child/sitecustomize.py``
(on the ``PYTHONPATH`` they inherit) and append each refusal to the file
``EMULATOR_TEST_GUARD_LOG`` names; ``collect`` reads them into ``violations``. Other
programs (redis-server, Chromium, Docker) are only ever given loopback addresses; the
whole suite under ``strace -f`` checks them too (docs/reliability.md).
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
import threading
from collections.abc import Callable
from typing import Any

ALLOWED_NAMES = frozenset({"localhost", "localhost.", "localhost.localdomain"})


class OffMachineError(ConnectionRefusedError):
    """Raised instead of resolving or dialling a host that is not this machine."""


class Guard:
    """Patches ``socket`` on ``install`` and records every refused attempt."""

    def __init__(self, record_to: str | None = None) -> None:
        self.violations: list[str] = []
        self.checked = 0  # violations up to here have been reported
        self._lock = threading.Lock()
        self._saved: list[tuple[Any, str, Any]] = []
        self._record_to = record_to  # a child process: refusals also go to this file
        self._read_from = 0  # the parent: how far the children's file has been read

    # ------------------------------------------------------------------ checks
    def refuse(self, what: str) -> OffMachineError:
        message = (
            f"tests may only talk to 127.0.0.1 / ::1: {what} "
            "(use httpx.MockTransport or a refusing loopback port; see tests/support/network.py)"
        )
        with self._lock:
            self.violations.append(message)
            if self._record_to is not None:
                with open(self._record_to, "a", encoding="utf-8") as log:
                    log.write(f"(process {os.getpid()}: {sys.argv[0]}) {message}\n")
        return OffMachineError(message)

    def collect(self, children_log: str) -> None:
        """Add what child processes recorded in ``children_log`` since the last call."""
        try:
            with open(children_log, encoding="utf-8") as log:
                log.seek(self._read_from)
                lines = log.read()
                self._read_from = log.tell()
        except FileNotFoundError:
            return
        with self._lock:
            self.violations.extend(line for line in lines.splitlines() if line)

    def unreported(self) -> list[str]:
        """The violations since the last call, whoever made them (a test, a fixture of
        any scope, a server thread, a child process), once each."""
        with self._lock:
            found = self.violations[self.checked :]
            self.checked = len(self.violations)
        return list(dict.fromkeys(found))

    def check_host(self, host: Any, what: str) -> None:
        if host is None:
            return  # getaddrinfo(None, port): the wildcard / loopback of a server socket
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        text = str(host)
        if text.lower() in ALLOWED_NAMES or _is_loopback(text):
            return
        raise self.refuse(f"{what} {text!r}")

    def check_address(self, sock: socket.socket, address: Any, what: str) -> None:
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return  # Unix sockets and netlink stay on the machine
        host = address[0] if isinstance(address, tuple) and address else address
        self.check_host(host, what)

    # ------------------------------------------------------------------ patching
    def install(self) -> None:
        if self._saved:
            return
        # Before uvicorn chooses its loop: ``import uvloop`` now raises ImportError.
        sys.modules.setdefault("uvloop", None)  # type: ignore[arg-type]
        for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr"):
            self._wrap_lookup(name)
        self._wrap_getnameinfo()
        self._wrap_method("connect")
        self._wrap_method("connect_ex")
        self._wrap_method("bind")
        self._wrap_sendto()
        self._wrap_sendmsg()

    def uninstall(self) -> None:
        for owner, name, original in reversed(self._saved):
            setattr(owner, name, original)
        self._saved.clear()

    def _save(self, owner: Any, name: str) -> Any:
        original = getattr(owner, name)
        self._saved.append((owner, name, original))
        return original

    def _wrap_lookup(self, name: str) -> None:
        original: Callable[..., Any] = self._save(socket, name)
        guard = self

        def lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
            guard.check_host(host, f"socket.{name} of")
            return original(host, *args, **kwargs)

        setattr(socket, name, lookup)

    def _wrap_method(self, name: str) -> None:
        original: Callable[..., Any] = self._save(socket.socket, name)
        guard = self

        def connect(sock: socket.socket, address: Any) -> Any:
            guard.check_address(sock, address, f"socket.{name} to")
            return original(sock, address)

        setattr(socket.socket, name, connect)

    def _wrap_sendto(self) -> None:
        original: Callable[..., Any] = self._save(socket.socket, "sendto")
        guard = self

        def sendto(sock: socket.socket, data: Any, *rest: Any) -> Any:
            guard.check_address(sock, rest[-1], "socket.sendto to")
            return original(sock, data, *rest)

        setattr(socket.socket, "sendto", sendto)  # noqa: B010 - replacing an overloaded method

    def _wrap_sendmsg(self) -> None:
        original: Callable[..., Any] = self._save(socket.socket, "sendmsg")
        guard = self

        def sendmsg(sock: socket.socket, *args: Any) -> Any:
            if len(args) >= 4 and args[3] is not None:  # (buffers, ancdata, flags, address)
                guard.check_address(sock, args[3], "socket.sendmsg to")
            return original(sock, *args)

        setattr(socket.socket, "sendmsg", sendmsg)  # noqa: B010 - replacing an overloaded method

    def _wrap_getnameinfo(self) -> None:
        original: Callable[..., Any] = self._save(socket, "getnameinfo")
        guard = self

        def getnameinfo(address: Any, flags: int) -> Any:
            guard.check_host(address[0] if address else None, "socket.getnameinfo of")
            return original(address, flags)

        setattr(socket, "getnameinfo", getnameinfo)  # noqa: B010


def _is_loopback(text: str) -> bool:
    try:
        return ipaddress.ip_address(text.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


class RefusingPort:
    """A loopback port that refuses every connection, for receivers that must fail.

    The socket is bound and never listens, so the kernel answers each connect with a
    reset at once, and no other process can take the port while it is held.
    """

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self._sock.close()
