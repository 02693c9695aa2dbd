"""The request journal: a bounded ring buffer of what clients asked and what they got.

Recorded by an outermost ASGI middleware, so it sees every vendor request, including
404s, 413s, injected faults (``fault``: ``"<rule id>:<action>"``) and crashes; a request
whose connection was dropped on purpose is recorded with status 0. The emulator's own
``/_emulator`` calls are not recorded: the journal is about the client under test.
Bounded (``journal_size``, 0 turns it off) because unbounded journals are the classic
mock-server OOM (anchors.md §1c: aimock, WireMock #29).
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.core.headers import header

CONTROL_PREFIX = "/_emulator"


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    time: float
    method: str
    path: str
    query: str
    status: int
    duration_ms: float
    api_key: str | None
    vendor: str
    fault: str | None

    def to_json(self, render_time: Callable[[float], str]) -> dict[str, Any]:
        return {
            "id": self.id,
            "time": render_time(self.time),
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
            "duration_ms": round(self.duration_ms, 3),
            "api_key": self.api_key,
            "vendor": self.vendor,
            "fault": self.fault,
        }


# What the journal keeps per request: Entry's fields but ``id`` and ``vendor``, in
# order. A plain tuple: building a frozen dataclass per request cost more than the
# rest of recording. ``vendor`` follows from the path, so it is worked out when read.
Row = tuple[float, str, str, str, int, float, str | None, str | None]
_API_KEY = 6  # Row's index of api_key


class Journal:
    """Newest last; old entries fall off the front once ``size`` is reached.

    ``classify``: the vendor a path belongs to ("none" outside both APIs).
    """

    def __init__(self, size: int, classify: Callable[[str], str] = lambda path: "none") -> None:
        self.size = max(size, 0)
        self.classify = classify
        self._rows: deque[tuple[int, Row]] = deque(maxlen=self.size or 1)
        self._ids = itertools.count(1)

    def append(self, row: Row) -> None:
        """Record one request; a no-op when the journal is off."""
        if self.size:
            self._rows.append((next(self._ids), row))

    def _entries(self) -> Iterable[Entry]:
        if not self.size:
            return ()
        classify = self.classify
        return (
            Entry(n, time, method, path, query, status, duration, key, classify(path), fault)
            for n, (time, method, path, query, status, duration, key, fault) in self._rows
        )

    def query(
        self,
        *,
        method: str | None = None,
        path_prefix: str | None = None,
        api_key: str | None = None,
        vendor: str | None = None,
        faulted: bool | None = None,
        limit: int | None = None,
    ) -> list[Entry]:
        found = self._entries()
        if method:
            found = (e for e in found if e.method == method.upper())
        if path_prefix:
            found = (e for e in found if e.path.startswith(path_prefix))
        if api_key is not None:
            found = (e for e in found if e.api_key == api_key)
        if vendor:
            found = (e for e in found if e.vendor == vendor)
        if faulted is not None:
            found = (e for e in found if (e.fault is not None) == faulted)
        result = list(found)
        return result[-limit:] if limit else result

    def clear(self, api_key: str | None = None) -> int:
        before = len(self._rows)
        if api_key is None:
            self._rows.clear()
        else:
            kept = [(n, row) for n, row in self._rows if row[_API_KEY] != api_key]
            self._rows.clear()
            self._rows.extend(kept)
        return before - len(self._rows)

    def __len__(self) -> int:
        return len(self._rows) if self.size else 0


class JournalMiddleware:
    """Times each request and records it once the response status is known."""

    def __init__(
        self,
        app: ASGIApp,
        journal: Journal,
        clock: Callable[[], float],
    ) -> None:
        self.app = app
        self.journal = journal
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not self.journal.size or path.startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        # 0: no response reached the client (an injected `drop`). An exception passing
        # through here becomes a 500 outside this middleware, so it is recorded as one.
        status = 0

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        except BaseException:
            status = status or 500
            raise
        finally:
            state = scope.get("state")
            self.journal.append(
                (
                    self.clock(),
                    scope["method"],
                    path,
                    scope.get("query_string", b"").decode("latin-1"),
                    status,
                    (time.perf_counter() - started) * 1000,
                    header(scope, b"x-api-key"),
                    state.get("fault") if state else None,
                )
            )
