"""Asleep's time formats: request zones, rendered timestamps, parsed instants and dates.

Owns every conversion between the emulator's internal time (whole seconds since the
epoch, UTC) and Asleep's wire formats (asleep-api.md §1.5, §4.4):

* Data API timestamps ``YYYY-MM-DDThh:mm:ss+hh:mm`` in the request's ``timezone``
  header zone: whole seconds, numeric offset, ``+00:00`` never ``Z`` (seed 001).
* Get User ``last_session_info`` times: offset-less UTC ``YYYY-MM-DDThh:mm:ss``, as
  the documented example shows (§3.2), although its table says ``...Z``.
* Ids embed the UTC instant as ``YYYYMMDDhhmmss`` (§1.5).
* Query dates ``YYYY-MM-DD``; average-stats clock times ``hh:mm:ss``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "UTC"

# An IANA key: letters, digits and ``_+-/``, no leading slash or dot segments.
# zoneinfo itself rejects path traversal, but a cheap allow-list keeps odd header
# bytes from ever reaching the filesystem lookup.
_ZONE_NAME = re.compile(r"[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# The virtual clock's range (emulator.control.endpoints): 1970-01-01 .. 9000-01-01 UTC.
_MIN_INSTANT = 0
_MAX_INSTANT = 221_845_392_000


def zone(name: str) -> tzinfo | None:
    """The IANA zone called ``name``, or None when there is no such zone."""
    # Length first: the cache below must not keep long junk header values.
    return None if len(name) > 64 else _zone(name)


@lru_cache(maxsize=512)
def _zone(name: str) -> tzinfo | None:
    # Cached whole, the allow-list check included: every Data API read asks.
    if not _ZONE_NAME.fullmatch(name):
        return None
    if name == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def render(ts: int, tz: tzinfo) -> str:
    """A Data API timestamp: ``2025-01-15T02:50:29+00:00`` (whole seconds, numeric offset)."""
    return datetime.fromtimestamp(ts, tz).isoformat(timespec="seconds")


def render_naive_utc(ts: int) -> str:
    """Get User's offset-less UTC form, ``2023-06-30T22:41:17`` (asleep-api.md §3.2)."""
    return datetime.fromtimestamp(ts, UTC).replace(tzinfo=None).isoformat(timespec="seconds")


def compact_utc(ts: int) -> str:
    """The ``YYYYMMDDhhmmss`` stamp that user and session ids embed (§1.5)."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y%m%d%H%M%S")


def aware(ts: int) -> datetime:
    """The instant as an aware UTC datetime (what ``stats`` computes with)."""
    return datetime.fromtimestamp(ts, UTC)


def parse_instant(text: str) -> int | None:
    """An ISO 8601 instant as whole epoch seconds; ``Z`` or an offset, none means UTC.

    The documented shape is ``YYYY-MM-DDTHH:mm:ssZ`` (v1.0 error table); offsets and
    fractional seconds are accepted too (fractions are dropped: Asleep renders whole
    seconds). Returns None when the text is not an instant.
    """
    text = text.strip()
    if not text or len(text) > 40 or not text[:4].isdigit():
        return None
    try:
        value = datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    instant = int(value.timestamp() // 1)
    # Ids embed the UTC year in 4 digits and every zone must render the instant (a
    # session at 9999-12-31 broke listing it in Etc/GMT+12 with a 500, found by
    # schemathesis): outside the virtual clock's range it is not a usable instant.
    if not _MIN_INSTANT <= instant < _MAX_INSTANT:
        return None
    return instant


def parse_date(text: str) -> date | None:
    """A ``YYYY-MM-DD`` query date, or None."""
    if not _DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def local_date(ts: int, tz: tzinfo) -> date:
    """The calendar date of an instant in a zone (list and average-stats filters, §4.4)."""
    return datetime.fromtimestamp(ts, tz).date()
