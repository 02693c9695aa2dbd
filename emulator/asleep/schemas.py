"""Asleep's wire format out: JSON documents in the documented key order, and strict JSON in.

Rendering: the documented key order of every object (seed 001, §3.2, §3.8; declared
by the models in ``documents``), with timestamps in the request zone (``timefmt``).
Bodies are serialised exactly like Starlette's/FastAPI's ``JSONResponse`` (compact
separators, UTF-8). Request bodies and query strings are validated by ``bodies``.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, tzinfo
from typing import Any

from emulator.asleep import errors, timefmt
from emulator.asleep.analysis import Reading, read, validity
from emulator.asleep.entities import Session, User
from emulator.asleep.night import osa_stages
from emulator.asleep.peculiarities import SessionState, Validity
from emulator.asleep.rules import Rules
from emulator.asleep.state import AsleepState
from emulator.asleep.stats import render_v2, render_v3


def dumps(document: Any) -> bytes:
    """JSON exactly as Starlette's ``JSONResponse`` renders it."""
    return json.dumps(
        document, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode("utf-8")


def success(result: Any) -> dict[str, Any]:
    """Session API envelope (asleep-api.md §1.3)."""
    return {"detail": "success", "result": result}


def ok(result: Any) -> dict[str, Any]:
    """Data API envelope (asleep-api.md §1.3)."""
    return {"detail": "OK", "result": result}


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"number out of range: {text[:40]}")
    return number


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads(raw: bytes | str) -> Any:
    """Strict JSON: ValueError for anything a JSON response could not echo back.

    ``NaN``/``Infinity`` (not JSON, RFC 8259 §6) and numbers past float range
    (``1e999``) are refused: a 422 that echoes its input could not render them. Deep
    nesting (Python's ``RecursionError``) counts as invalid JSON, not as a crash.
    """
    try:
        return json.loads(raw, parse_float=_finite, parse_constant=_no_constant)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


# --------------------------------------------------------------------------- rendering


def user(found: User, last: Session | None) -> dict[str, Any]:
    """Get User ``result`` (asleep-api.md §3.2)."""
    return {
        "user_id": found.user_id,
        "to_be_deleted": False,
        "last_session_info": None if last is None else last_session_info(last),
        "metadata": found.metadata,
    }


def last_session_info(session: Session) -> dict[str, Any]:
    # Offset-less UTC times, as the documented example shows (§3.2, §9.19).
    def naive(ts: int | None) -> str | None:
        return None if ts is None else timefmt.render_naive_utc(ts)

    return {
        "session_id": session.session_id,
        "inference_type": session.inference_type,
        "service": session.service,
        "start_time": naive(session.start_time),
        "end_time": naive(session.end_time),
        "state": session.state.value,
        "complete_time": naive(session.complete_time),
    }


def _renderer(tz: tzinfo) -> Any:
    def render_time(moment: datetime) -> str:
        return moment.astimezone(tz).isoformat(timespec="seconds")

    return render_time


def _ts(ts: int | None, tz: tzinfo) -> str | None:
    return None if ts is None else timefmt.render(ts, tz)


def session_v3(reading: Reading, tz: tzinfo, zone_name: str) -> dict[str, Any]:
    """Get Single Session v3 ``result`` (seed 001 §2.1)."""
    s = reading.session
    night = reading.night
    sleep = breath = snoring = None
    if night is not None:
        sleep = night.sleep.tolist()
        snoring = night.snoring.tolist()
        if reading.breath_served:
            breath = night.breath.tolist()
    return {
        "timezone": zone_name,
        "peculiarities": reading.labels,
        "missing_data_ratio": reading.missing_data_ratio,
        "session": {
            "id": s.session_id,
            "state": s.state.value,
            "start_time": timefmt.render(s.start_time, tz),
            "end_time": _ts(s.end_time, tz),
            "unexpected_end_time": _ts(s.unexpected_end_time, tz),
            "created_timezone": s.created_timezone,
            "sleep_stages": sleep,
            "breath_stages": breath,
            "snoring_stages": snoring,
        },
        "stat": None if reading.stat is None else render_v3(reading.stat, _renderer(tz)),
    }


def session_v2(
    reading: Reading, rules_breathing: bool, valid: Validity, tz: tzinfo, zone_name: str
) -> dict[str, Any]:
    """Legacy Get Single Session ``/data/v2`` ``result`` (asleep-api.md §3.7.2)."""
    s = reading.session
    night = reading.night
    sleep = osa = None
    if night is not None:
        sleep = night.sleep.tolist()
        if rules_breathing:
            osa = osa_stages(night.breath).tolist()
    stat = None
    if s.state is SessionState.COMPLETE and valid is Validity.VALID and reading.stat is not None:
        stat = render_v2(reading.stat, _renderer(tz))
    return {
        "timezone": zone_name,
        "validity": valid.value,
        "session": {
            "id": s.session_id,
            "state": s.state.value,
            "start_time": timefmt.render(s.start_time, tz),
            "end_time": _ts(s.end_time, tz),
            "sleep_stages": sleep,
            "osa_stages": osa,
        },
        "stat": stat,
    }


def session_result(
    state: AsleepState, rules: Rules, session: Session, *, version: int = 3, zone: str = "UTC"
) -> dict[str, Any]:
    """Get Single Session's ``result`` (v3, or the v2 shape) rendered in ``zone``.

    The ``SESSION_COMPLETE`` payload is this plus ``user_id`` (asleep-api.md §4.6).
    """
    tz = timefmt.zone(zone)
    if tz is None:
        raise errors.InvalidTimezone()
    reading = read(state, rules, session)
    if version == 3:
        return session_v3(reading, tz, zone)
    return session_v2(reading, rules.plan.breathing, validity(reading, rules), tz, zone)


def list_item(session: Session, tz: tzinfo) -> dict[str, Any]:
    """One ``sleep_session_list`` element (asleep-api.md §3.8)."""
    return {
        "session_id": session.session_id,
        "state": session.state.value,
        "session_start_time": timefmt.render(session.start_time, tz),
        "session_end_time": _ts(session.end_time, tz),
        "created_timezone": session.created_timezone,
        "unexpected_end_time": _ts(session.unexpected_end_time, tz),
        "last_received_seq_num": session.last_received_seq_num,
        "time_in_bed": session.time_in_bed,
    }


def render_time_in(tz: tzinfo) -> Any:
    return _renderer(tz)
