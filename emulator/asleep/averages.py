"""Average stats over a period: the ``result`` of GET /data/v1/users/{id}/average-stats.

This module owns choosing which completed sessions a period covers, averaging
their stats (clock times on a 24-hour circle) and shaping the documented
result (asleep-api.md §3.9): ``period``, ``peculiarities``, ``average_stats``,
``never_slept_sessions`` and ``slept_sessions``.  Pure: datetimes are rendered
by a caller-supplied ``render_time`` and the request timezone is passed in as a
``tzinfo``.

Most of the shape is only partly documented (the archived page is truncated
after ``light_ratio``); every choice beyond the documented example is marked
INFERRED.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import TYPE_CHECKING, Any, Final

from emulator.asleep.peculiarities import STAT_NULLING, Peculiarity
from emulator.asleep.stats import RenderTime, Stat, breathing_pattern_for, render_v3
from emulator.core import lazy

if TYPE_CHECKING:
    from emulator.asleep import documents
else:
    documents = lazy.module("emulator.asleep.documents")  # the key orders (pydantic)

SECONDS_PER_DAY: Final = 86_400


@dataclass(frozen=True, slots=True)
class CompletedSession:
    """What averaging needs to know about one COMPLETE session."""

    id: str
    start_time: datetime
    end_time: datetime
    completed_time: datetime
    created_timezone: str
    stat: Stat | None
    never_slept: bool
    peculiarities: tuple[str, ...] = ()


def clock(seconds_of_day: int) -> str:
    """``hh:mm:ss`` of a second of the day (asleep-api.md §1.5)."""
    hours, rest = divmod(seconds_of_day % SECONDS_PER_DAY, 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def seconds_of_day(moment: datetime, tz: tzinfo) -> int:
    """Wall-clock second of the day of ``moment`` in ``tz``."""
    local = moment.astimezone(tz)
    return local.hour * 3600 + local.minute * 60 + local.second


def circular_mean_seconds(values: Sequence[float]) -> int:
    """Average of clock times on a 24-hour circle, in whole seconds of the day.

    The vector (circular) mean gives the centre of the times; each time is then
    unwrapped to within 12 hours of it (as Asleep's insight script compares
    clock times, asleep-api.md §3.9) and the plain mean of those is taken, so
    23:30 and 00:30 average to 00:00 (not 12:00) and a tight cluster averages
    exactly like ordinary numbers.  If the times cancel out (e.g. 06:00 and
    18:00), the first one is the centre, so the result stays deterministic.
    """
    if not values:
        raise ValueError("no clock times to average")
    angles = [2.0 * math.pi * value / SECONDS_PER_DAY for value in values]
    x = math.fsum(math.cos(angle) for angle in angles)
    y = math.fsum(math.sin(angle) for angle in angles)
    if math.hypot(x, y) < 1e-9 * len(values):
        centre = float(values[0])
    else:
        centre = math.atan2(y, x) / (2.0 * math.pi) * SECONDS_PER_DAY
    # Shift each time by whole days only, so the mean of whole seconds stays exact.
    unwrapped = [
        value + SECONDS_PER_DAY * round((centre - value) / SECONDS_PER_DAY) for value in values
    ]
    mean = math.fsum(unwrapped) / len(unwrapped)
    return math.floor(mean + 0.5) % SECONDS_PER_DAY


def _round_int(value: float) -> int:
    # floor(x + 0.5), like sleep-stats-ts toInt (asleep-api.md §5.7).
    return math.floor(value + 0.5)


def _average(key: str, values: Sequence[Any]) -> Any:
    present = [value for value in values if value is not None]
    if not present:
        return None  # null where every input is null (e.g. 2-stage or no breathing plan)
    mean = math.fsum(present) / len(present)
    if key in documents.RATIO_KEYS:
        return round(mean, 3)
    if key == "breathing_index":
        return round(mean, 2)
    # Durations, latencies and counts stay ints like per session (INFERRED for
    # counts: typed SDK models declare them Int).
    return _round_int(mean)


def _average_stats(slept: Sequence[CompletedSession], tz: tzinfo) -> dict[str, Any] | None:
    stats = [session.stat for session in slept if session.stat is not None]
    if not stats:
        return None
    result: dict[str, Any] = {
        "start_time": clock(
            circular_mean_seconds([seconds_of_day(s.start_time, tz) for s in slept])
        ),
        "end_time": clock(circular_mean_seconds([seconds_of_day(s.end_time, tz) for s in slept])),
    }
    for key in ("sleep_time", "wake_time"):
        moments: list[datetime] = [m for m in (getattr(s, key) for s in stats) if m is not None]
        result[key] = (
            clock(circular_mean_seconds([seconds_of_day(m, tz) for m in moments]))
            if moments
            else None
        )
    for key in documents.AVERAGED_KEYS:
        if key == "breathing_pattern":
            index = result["breathing_index"]
            # INFERRED: the pattern of the averaged index, banded like per session.
            result[key] = None if index is None else breathing_pattern_for(index).value
        else:
            result[key] = _average(key, [getattr(stat, key) for stat in stats])
    return result


def _in_period(session: CompletedSession, tz: tzinfo, start_date: date, end_date: date) -> bool:
    # INFERRED (asleep-api.md §3.9, §4.4): the session's start date in the
    # request timezone, both bounds inclusive.
    return start_date <= session.start_time.astimezone(tz).date() <= end_date


def average_stats(
    sessions: Iterable[CompletedSession],
    *,
    tz: tzinfo,
    timezone_name: str,
    start_date: date,
    end_date: date,
    breathing_plan: bool,
    render_time: RenderTime,
) -> dict[str, Any]:
    """The ``result`` object of the average-stats endpoint.

    ``sessions`` are the user's COMPLETE sessions (any dates).  INFERRED
    inclusion rules (asleep-api.md §3.9): a session counts if it started within
    ``[start_date, end_date]`` in ``tz``; sessions whose stat is null (too short,
    too defective) are left out; NEVER_SLEPT sessions are listed in
    ``never_slept_sessions`` and not averaged; lists are ordered by start time.
    """
    chosen = sorted(
        (s for s in sessions if _in_period(s, tz, start_date, end_date)),
        key=lambda s: (s.start_time, s.id),
    )
    never_slept: list[CompletedSession] = []
    slept: list[CompletedSession] = []
    for session in chosen:
        if any(label in STAT_NULLING for label in session.peculiarities):
            continue
        if session.never_slept or Peculiarity.NEVER_SLEPT in session.peculiarities:
            never_slept.append(session)
        elif session.stat is not None:
            slept.append(session)

    return {
        "period": {
            "timezone": timezone_name,
            "start_date": start_date.isoformat(),
            "end_date": end_date.isoformat(),
        },
        # Only NO_BREATHING_STABILITY is documented for this endpoint.
        "peculiarities": [] if breathing_plan else [Peculiarity.NO_BREATHING_STABILITY.value],
        "average_stats": _average_stats(slept, tz),
        "never_slept_sessions": [
            {
                "id": s.id,
                "start_time": render_time(s.start_time),
                "end_time": render_time(s.end_time),
                "completed_time": render_time(s.completed_time),
            }
            for s in never_slept
        ],
        "slept_sessions": [_slept_session(s, render_time) for s in slept],
    }


def _slept_session(session: CompletedSession, render_time: RenderTime) -> dict[str, Any]:
    assert session.stat is not None  # guaranteed by average_stats' partition
    stat = render_v3(session.stat, render_time)
    return {
        "id": session.id,
        "created_timezone": session.created_timezone,
        "start_time": render_time(session.start_time),
        "end_time": render_time(session.end_time),
        "completed_time": render_time(session.completed_time),
        **{key: stat[key] for key in documents.SLEPT_SESSION_STAT_KEYS},
    }
