"""Verification over the request journal and the delivery log, shared by both clients.

``check_requested`` is ``assert_requested``'s judgement: the journal entries that
match an expected method, path (exact, or a shell-style pattern with ``*``) and
tenant, and, when they are not what was expected, a failure message that lists the
nearest requests actually received, closest first (WireMock's near-miss report). A
request is nearer the more of method, path and tenant it shares; paths are compared
segment by segment and character by character, so ``/v2/prediction`` is near
``/v2/prediction/`` and far from ``/ai/v1/users``. ``requested`` makes that judgement
the reading of one control call, so the clients only send it.

``Waiting`` is ``wait_for``'s judgement between polls of the delivery log: which call
to repeat, and whether the deliveries waited for are there, still to come, or too late.
"""

from __future__ import annotations

import difflib
import fnmatch
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from emulator.client import calls
from emulator.client.errors import RequestNotFound, WaitTimeout
from emulator.client.types import Delivery, JournalEntry
from emulator.core.secrets import mask

NEAREST = 5


@dataclass(frozen=True, slots=True)
class Expected:
    """What ``assert_requested`` looks for."""

    method: str
    path: str
    api_key: str | None = None
    count: int | None = None  # None: at least once

    def matches(self, entry: JournalEntry) -> bool:
        return (
            entry["method"] == self.method
            and _path_matches(self.path, entry["path"])
            and (self.api_key is None or same_key(entry["api_key"], self.api_key))
        )

    def describe(self) -> str:
        who = f" with X-API-Key {self.api_key!r}" if self.api_key is not None else ""
        if self.count is None:
            times = "at least once"
        else:
            times = "never" if self.count == 0 else f"exactly {_times(self.count)}"
        return f"{self.method} {self.path}{who} {times}"


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


def _path_matches(pattern: str, path: str) -> bool:
    if "*" in pattern or "?" in pattern or "[" in pattern:
        return fnmatch.fnmatchcase(path, pattern)
    return path == pattern


def same_key(shown: str | None, key: str) -> bool:
    """Whether a journal entry's key (shown as a masked fingerprint) is ``key``."""
    return shown is not None and (shown == key or shown == mask(key))


def path_similarity(pattern: str, path: str) -> float:
    """1.0 for a match; otherwise the mean of segment and character similarity."""
    if _path_matches(pattern, path):
        return 1.0
    want, got = pattern.strip("/").split("/"), path.strip("/").split("/")
    segments = difflib.SequenceMatcher(None, want, got).ratio()
    characters = difflib.SequenceMatcher(None, pattern, path).ratio()
    return (segments + characters) / 2


def similarity(expected: Expected, entry: JournalEntry) -> float:
    """How near a received request is to the expected one, 0..1."""
    score = 0.6 * path_similarity(expected.path, entry["path"])
    score += 0.25 if entry["method"] == expected.method else 0.0
    if expected.api_key is None or same_key(entry["api_key"], expected.api_key):
        score += 0.15
    return score


def differences(expected: Expected, entry: JournalEntry) -> list[str]:
    found = []
    if entry["method"] != expected.method:
        found.append(f"method {entry['method']}, expected {expected.method}")
    if not _path_matches(expected.path, entry["path"]):
        found.append(f"path {entry['path']}, expected {expected.path}")
    if expected.api_key is not None and not same_key(entry["api_key"], expected.api_key):
        found.append(f"X-API-Key {entry['api_key']!r}, expected {mask(expected.api_key)!r}")
    return found


def nearest(
    expected: Expected, entries: Sequence[JournalEntry], n: int = NEAREST
) -> list[JournalEntry]:
    """The ``n`` received requests nearest the expected one, closest (then newest) first."""
    ranked = sorted(entries, key=lambda e: (-similarity(expected, e), -e["id"]))
    return ranked[:n]


def line(entry: JournalEntry, expected: Expected | None = None) -> str:
    query = f"?{entry['query']}" if entry["query"] else ""
    text = f"  #{entry['id']} {entry['method']} {entry['path']}{query}"
    text += f"  X-API-Key {entry['api_key']!r} -> {entry['status']}"
    if entry["fault"]:
        text += f" (fault {entry['fault']})"
    if expected is not None:
        diff = differences(expected, entry)
        if diff:
            text += "  [" + "; ".join(diff) + "]"
    return text


def check_requested(expected: Expected, entries: Sequence[JournalEntry]) -> list[JournalEntry]:
    """The matching entries, or ``RequestNotFound`` with the near-miss report."""
    matched = [e for e in entries if expected.matches(e)]
    wanted = expected.count
    if (wanted is None and matched) or (wanted is not None and len(matched) == wanted):
        return matched
    lines = [f"Expected {expected.describe()}."]
    if matched:
        lines.append(f"Received {_times(len(matched))}:")
        lines += [line(e) for e in matched]
    elif not entries:
        lines.append(
            "The request journal is empty (nothing received since the last reset, or the "
            "journal is off: --journal-size 0)."
        )
    else:
        lines.append(f"No such request among the {len(entries)} in the journal.")
        lines.append("Nearest requests received (closest first):")
        lines += [line(e, expected) for e in nearest(expected, entries)]
    raise RequestNotFound("\n".join(lines), list(entries))


def requested(
    method: str, path: str, api_key: str | None, count: int | None
) -> calls.Call[list[JournalEntry]]:
    """``assert_requested`` as one control call: the whole journal, judged."""
    expected = Expected(method.upper(), path, api_key, count)
    return calls.journal(lambda entries: check_requested(expected, entries))


def select(
    deliveries: Sequence[Delivery],
    *,
    event: str | None,
    status: str | None,
    predicate: Callable[[Delivery], bool] | None,
) -> list[Delivery]:
    """The deliveries ``wait_for`` is waiting for."""
    return [
        d
        for d in deliveries
        if (event is None or d["event"] == event)
        and (status is None or d["status"] == status)
        and (predicate is None or predicate(d))
    ]


def waited_too_long(what: str, count: int, timeout: float, seen: Sequence[Delivery]) -> str:
    summary = ", ".join(f"{d['id']} {d['event']} {d['status']}" for d in seen[-10:]) or "none"
    return (
        f"waited {timeout:g} s for {count} {what}; the log holds {len(seen)} "
        f"deliveries (latest: {summary})"
    )


@dataclass
class Waiting:
    """One ``wait_for``: the deliveries it waits for, and until when."""

    event: str | None
    status: str | None
    predicate: Callable[[Delivery], bool] | None
    count: int
    timeout: float
    session_id: str | None
    api_key: str | None
    deadline: float = field(init=False)

    def __post_init__(self) -> None:
        self.deadline = time.monotonic() + self.timeout

    @property
    def call(self) -> calls.Call[list[Delivery]]:
        """The poll: the delivery log of the session (or all), for the tenant."""
        return calls.callbacks({"session_id": self.session_id, "api_key": self.api_key})

    def found(self, log: list[Delivery]) -> list[Delivery] | None:
        """The deliveries waited for; None: poll again; ``WaitTimeout`` past the deadline."""
        found = select(log, event=self.event, status=self.status, predicate=self.predicate)
        if len(found) >= self.count:
            return found
        if time.monotonic() >= self.deadline:
            what = f"{self.event or 'any'} deliveries ({self.status or 'any status'})"
            raise WaitTimeout(waited_too_long(what, self.count, self.timeout, log), log)
        return None
