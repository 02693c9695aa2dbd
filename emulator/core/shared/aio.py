"""Redis calls of the request path without blocking the event loop: a pipelined client.

Every request of a replica starts by reading four counters (``SharedDB.stamp``), a
request that wrote commits, and every request adds a journal row. Done with blocking
calls, the event loop stands still for each round trip; on a busy machine (Redis
scheduled on the same cores) those waits dominated. So these go out on a connection
of their own, an ``asyncio`` protocol: a request writes its command and awaits the
answer while the loop serves others; answers come back in order (Redis answers one
connection's commands in order), parsed by hiredis.

Requests that start in the same turn of the event loop share one check (``ask``): all
of them were received before the turn began, so a check sent during it is at least as
new as any write acknowledged before they were sent (read-your-writes holds).

Plain ``redis://`` and ``unix://`` URLs are served here; for others (TLS) ``connect``
answers None and the blocking client is used.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections import deque
from typing import Any, cast
from urllib.parse import unquote, urlsplit


class ReplyError(Exception):
    """Redis answered a command with an error (e.g. NOSCRIPT after a script flush)."""


class StampProtocol(asyncio.Protocol):
    """One connection; ``call`` writes a packed command and awaits its reply."""

    def __init__(self) -> None:
        import hiredis

        self._reader = hiredis.Reader()
        # Per command written, in order: the futures waiting for its answer.
        self._waiting: deque[list[asyncio.Future[Any]]] = deque()
        self._transport: asyncio.Transport | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport instances, but they write.
        self._transport = cast(asyncio.Transport, transport)
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self._reader.feed(data)
        while True:
            reply = self._reader.gets()
            if reply is False:
                return
            for future in self._waiting.popleft():
                if future.done():
                    continue  # its request was cancelled
                if isinstance(reply, Exception):
                    future.set_exception(ReplyError(str(reply)))
                else:
                    future.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        while self._waiting:
            for future in self._waiting.popleft():
                if not future.done():
                    future.set_exception(ConnectionError(f"connection to Redis lost: {exc}"))

    def call(self, packed: bytes) -> list[asyncio.Future[Any]]:
        """Write a command; the list its answer resolves (more waiters may join it)."""
        if self._transport is None or self.closed:
            raise ConnectionError("not connected to Redis")
        waiters: list[asyncio.Future[Any]] = [asyncio.get_running_loop().create_future()]
        self._waiting.append(waiters)
        self._transport.write(packed)
        return waiters

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


async def connect(url: str, packed_setup: list[bytes]) -> StampProtocol | None:
    """A connected protocol (after ``AUTH``/``SELECT``), or None if ``url`` is not plain."""
    try:
        import hiredis  # noqa: F401
    except ImportError:
        return None
    parts = urlsplit(url)
    loop = asyncio.get_running_loop()
    if parts.scheme == "redis":
        _, protocol = await loop.create_connection(
            StampProtocol, parts.hostname or "localhost", parts.port or 6379
        )
    elif parts.scheme == "unix":
        _, protocol = await loop.create_unix_connection(StampProtocol, unquote(parts.path))
    else:
        return None
    for command in packed_setup:
        await protocol.call(command)[0]
    return protocol


class Stamps:
    """The non-blocking connection of one event loop (see the module doc)."""

    def __init__(self, url: str, packed_setup: list[bytes]) -> None:
        self._url = url
        self._setup = packed_setup
        self._protocol: StampProtocol | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._turn: dict[bytes, list[asyncio.Future[Any]]] = {}
        self.unusable = False

    @property
    def usable(self) -> bool:
        return not self.unusable

    async def ask(self, packed: bytes) -> Any:
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._protocol is None or self._protocol.closed:
            await self._connect(loop)
        assert self._protocol is not None
        waiters = self._turn.get(packed)
        if waiters is None:
            if not self._turn:
                loop.call_soon(self._turn.clear)
            waiters = self._turn[packed] = self._protocol.call(packed)
            return await waiters[0]
        mine: asyncio.Future[Any] = loop.create_future()  # one of its own: cancel-safe
        waiters.append(mine)
        return await mine

    async def send(self, packed: bytes) -> Any:
        """One command and its answer (not shared): commits, journal rows."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._protocol is None or self._protocol.closed:
            await self._connect(loop)
        assert self._protocol is not None
        return await self._protocol.call(packed)[0]

    def ready(self) -> bool:
        """Connected on the running loop, so ``send`` will not have to connect first."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        protocol = self._protocol
        return self._loop is loop and protocol is not None and not protocol.closed

    def fire(self, packed: bytes) -> asyncio.Future[Any]:
        """Write a command now and return the future of its answer (``ready`` first)."""
        assert self._protocol is not None
        return self._protocol.call(packed)[0]

    async def _connect(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._protocol is not None and self._loop is loop:
            self._protocol.close()
        self._protocol = None
        self._turn = {}
        self._protocol = await connect(self._url, self._setup)
        self._loop = loop
        if self._protocol is None:
            self.unusable = True
            raise ConnectionError("no non-blocking client for this URL")

    def close(self) -> None:
        if self._protocol is not None:
            self._protocol.close()
        self._protocol = None
