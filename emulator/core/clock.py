"""The virtual clock: the one answer to "what time is it" for every timestamp and timer.

It runs at wall-clock speed from an optional start instant, can be frozen, set and
advanced (``/_emulator/clock``), so a client can replay a whole night in seconds or
move a time-based progression forward without sleeping. Its position is world state:
it is saved in the state file and in snapshots (``to_json``/``load``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True, slots=True)
class ClockState:
    """What ``GET /_emulator/clock`` reports."""

    now: datetime
    frozen: bool

    def to_json(self) -> dict[str, object]:
        return {"now": self.now.isoformat(), "frozen": self.frozen}


class Clock:
    """Wall time shifted by an offset, or frozen at one instant. Always timezone-aware UTC."""

    def __init__(self, start: datetime | None = None, *, frozen: bool = False) -> None:
        self.restart(start, frozen=frozen)

    def restart(self, start: datetime | None = None, *, frozen: bool = False) -> None:
        """Back to a start-up position (``reset`` uses it; the object stays the same,
        because the journal and vendors hold references to it)."""
        self._offset = 0.0
        self._frozen_at: float | None = None
        if frozen:
            # Freeze at the exact instant, not at "start plus the time it took to get here".
            self._frozen_at = start.timestamp() if start is not None else time.time()
        elif start is not None:
            self.set(start)

    def timestamp(self) -> float:
        """Seconds since the epoch on the virtual timeline."""
        if self._frozen_at is not None:
            return self._frozen_at
        return time.time() + self._offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp(), UTC)

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("clock instants must carry a timezone")
        target = instant.timestamp()
        if self._frozen_at is not None:
            self._frozen_at = target
        else:
            self._offset = target - time.time()

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        if self._frozen_at is not None:
            self._frozen_at += seconds
        else:
            self._offset += seconds

    def freeze(self) -> None:
        if self._frozen_at is None:
            self._frozen_at = self.timestamp()

    def resume(self) -> None:
        if self._frozen_at is not None:
            self._offset = self._frozen_at - time.time()
            self._frozen_at = None

    def state(self) -> ClockState:
        return ClockState(now=self.now(), frozen=self._frozen_at is not None)

    def to_json(self) -> dict[str, object]:
        """The clock's position, to persist: a frozen instant, or the offset from wall time.

        A running clock is stored as its offset, so after a restart it has moved on
        by the time the emulator was down, as a wall clock would have.
        """
        return {"frozen_at": self._frozen_at, "offset": self._offset}

    def load(self, data: dict[str, object]) -> None:
        frozen_at, offset = data.get("frozen_at"), data.get("offset", 0.0)
        if not isinstance(offset, int | float) or not (
            frozen_at is None or isinstance(frozen_at, int | float)
        ):
            raise ValueError("a stored clock needs numeric 'offset' and 'frozen_at'")
        self._offset = float(offset)
        self._frozen_at = None if frozen_at is None else float(frozen_at)


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 instant; a missing offset means UTC."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def seconds(delta: timedelta) -> float:
    return delta.total_seconds()
