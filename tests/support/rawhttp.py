"""HTTP/1.1 over a raw socket, for tests that must control every byte and its timing
(a body that stalls, trickles, lies about its length or stops halfway)."""

from __future__ import annotations

import json
import socket
from typing import Any


def head(path: str, headers: dict[str, str], method: str = "POST") -> bytes:
    """A request head (request line and headers, through the blank line)."""
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def chunk(data: bytes) -> bytes:
    """One chunk of a chunked body."""
    return b"%x\r\n" % len(data) + data + b"\r\n"


def read_answer(sock: socket.socket, *, timeout: float = 60) -> tuple[int, dict[str, str], Any]:
    """Status, headers (lower-case names) and JSON body of the next response."""
    sock.setblocking(True)
    sock.settimeout(timeout)  # a hang guard only
    data = b""
    while b"\r\n\r\n" not in data:
        more = sock.recv(65536)
        if not more:
            raise AssertionError(f"connection closed without an answer: {data!r}")
        data += more
    raw_head, _, rest = data.partition(b"\r\n\r\n")
    lines = raw_head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        more = sock.recv(65536)
        if not more:
            break
        rest += more
    return status, headers, json.loads(rest[:length]) if length else None
