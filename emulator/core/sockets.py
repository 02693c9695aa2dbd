"""Listening sockets the emulator serves on (the command, the test server, the recorder).

``IPPROTO_TCP``, not 0: asyncio sets ``TCP_NODELAY`` only on sockets whose protocol says
TCP; without it (no uvloop) every response waits ~40 ms on Nagle and delayed ACKs.
"""

from __future__ import annotations

import socket


def bind(host: str, port: int, *, backlog: int = 2048) -> socket.socket:
    """A listening TCP socket on ``host:port`` (IPv6 where ``host`` has a colon)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    return sock
