"""The request journal: a bounded ring buffer of what clients asked and what they got.

Recorded by an outermost ASGI middleware, so it sees every vendor request, including
404s, 413s, injected faults (``fault``: ``"<rule id>:<action>"``) and crashes; a request
whose connection was dropped on purpose is recorded with status 0. The emulator's own
``/_emulator`` calls are not recorded: the journal is about the client under test.
Bounded (``journal_size``, 0 turns it off) because unbounded journals are the classic
mock-server OOM (anchors.md §1c: aimock, WireMock #29).

Besides the summary line, each entry keeps what is free to keep: the request's and
the response's header lists (references to what the server handed over, not copies),
the response's size and its first ``EXCERPT_BYTES`` bytes. Bodies are never kept.
``Entry.detail_json`` shows them with credentials masked (``emulator.core.secrets``).

Keys are kept as sent (a tenant's own entries are found by its key) and never shown:
``Entry.to_json`` renders a key as its masked fingerprint (``emulator.core.secrets``),
rejected keys included, and masks credential-like query parameters; a filter takes
either the key or the fingerprint a listing showed.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypedDict

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.core.headers import header
from emulator.core.secrets import key_matches, mask, mask_query, masked, masked_headers

CONTROL_PREFIX = "/_emulator"
EXCERPT_BYTES = 256
Headers = list[tuple[bytes, bytes]]


class EntryJson(TypedDict):
    """An entry as the control API lists it (``Entry.to_json``); the typed client's
    ``JournalEntry``. ``api_key`` is the key's masked fingerprint."""

    id: int
    time: str
    method: str
    path: str
    query: str
    status: int
    duration_ms: float
    api_key: str | None
    vendor: str
    fault: str | None


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
    request_headers: Headers
    response_headers: Headers | None
    response_bytes: int
    response_excerpt: bytes | None

    def to_json(self, render_time: Callable[[float], str]) -> EntryJson:
        return {
            "id": self.id,
            "time": render_time(self.time),
            "method": self.method,
            "path": self.path,
            "query": mask_query(self.query),
            "status": self.status,
            "duration_ms": round(self.duration_ms, 3),
            "api_key": masked(self.api_key),
            "vendor": self.vendor,
            "fault": self.fault,
        }

    def detail_json(self, render_time: Callable[[float], str]) -> dict[str, Any]:
        """``to_json`` plus headers and body summaries; every credential masked."""
        found: dict[str, Any] = dict(self.to_json(render_time))
        found["api_key"] = None if self.api_key is None else mask(self.api_key)
        response = self.response_headers or []
        found.update(
            {
                "request_headers": masked_headers(self.request_headers),
                "response_headers": masked_headers(response),
                "request_body": {
                    "content_type": _value(self.request_headers, b"content-type"),
                    "length": _length(self.request_headers),
                },
                "response_body": {
                    "content_type": _value(response, b"content-type"),
                    "length": self.response_bytes,
                    "excerpt": (
                        None
                        if not self.response_excerpt
                        else self.response_excerpt.decode("utf-8", "replace")
                    ),
                },
            }
        )
        return found


def _value(headers: Headers, name: bytes) -> str | None:
    for key, value in headers:
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def _length(headers: Headers) -> int | None:
    raw = _value(headers, b"content-length")
    return int(raw) if raw is not None and raw.isascii() and raw.isdigit() else None


def status_matches(pattern: str, status: int) -> bool:
    """``404`` matches one status, ``4xx`` a class (``x`` for any digit)."""
    text = str(status)
    return len(pattern) == len(text) and all(
        p in ("x", "X") or p == c for p, c in zip(pattern, text, strict=True)
    )


# What the journal keeps per request: Entry's fields but ``id`` and ``vendor``, in
# order. A plain tuple: building a frozen dataclass per request cost more than the
# rest of recording. ``vendor`` follows from the path, so it is worked out when read.
Row = tuple[
    float, str, str, str, int, float, str | None, str | None, Headers, Headers | None, int,
    bytes | None,
]  # fmt: skip


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

    def _since(self, after: int) -> Iterable[Entry]:
        """Entries with an id above ``after``, oldest first (only those are built)."""
        newer: list[tuple[int, Row]] = []
        for item in reversed(self._rows):
            if item[0] <= after:
                break
            newer.append(item)
        classify = self.classify
        return (Entry(n, *row[:7], classify(row[2]), *row[7:]) for n, row in reversed(newer))

    @property
    def last_id(self) -> int:
        """The id of the newest entry (0 when empty)."""
        return self._rows[-1][0] if self.size and self._rows else 0

    def get(self, entry_id: int) -> Entry | None:
        if not self.size:
            return None
        for entry in self._since(entry_id - 1):
            return entry if entry.id == entry_id else None
        return None

    def query(
        self,
        *,
        method: str | None = None,
        path_prefix: str | None = None,
        api_key: str | None = None,
        vendor: str | None = None,
        faulted: bool | None = None,
        status: str | None = None,
        after: int | None = None,
        limit: int | None = None,
    ) -> list[Entry]:
        """Matching entries, oldest first; with ``limit`` the newest ``limit`` of them.

        Walked newest first and stopped once ``limit`` matched (or at ``after``): a page
        asking for the last 100 of a full ring builds 100 entries, not the whole ring.
        """
        if not self.size:
            return []
        method = method.upper() if method else None
        classify = self.classify
        found: list[Entry] = []
        for n, row in reversed(self._rows):
            if after is not None and n <= after:
                break
            path = row[2]
            if (
                (method and row[1] != method)
                or (path_prefix and not path.startswith(path_prefix))
                or (api_key is not None and not key_matches(row[6], api_key))
                or (faulted is not None and (row[7] is not None) != faulted)
                or (status and not status_matches(status, row[4]))
            ):
                continue
            entry_vendor = classify(path)
            if vendor and entry_vendor != vendor:
                continue
            found.append(Entry(n, *row[:7], entry_vendor, *row[7:]))
            if limit and len(found) == limit:
                break
        found.reverse()
        return found

    def clear(self, api_key: str | None = None) -> int:
        before = len(self._rows)
        if api_key is None:
            self._rows.clear()
        else:
            # Index 6 is the api_key (a literal index keeps its type for mypy).
            kept = [(n, row) for n, row in self._rows if not key_matches(row[6], api_key)]
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
        response_headers: Headers | None = None
        sent = 0
        excerpt: bytes | None = None

        async def send_and_note(message: Message) -> None:
            nonlocal status, response_headers, sent, excerpt
            kind = message["type"]
            if kind == "http.response.body":
                body = message.get("body", b"")
                if excerpt is None:
                    excerpt = body[:EXCERPT_BYTES]
                sent += len(body)
            elif kind == "http.response.start":
                status = message["status"]
                response_headers = message.get("headers")
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
                    scope.get("headers", []),
                    response_headers,
                    sent,
                    excerpt,
                )
            )
