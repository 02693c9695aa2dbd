"""Asleep's wire format: request bodies and query strings in, JSON documents out.

Parsing: where Asleep documents a custom error string (create/upload/close, §3.5)
that string is raised; elsewhere (user metadata, list and average-stats queries) the
server is FastAPI-like (asleep-api.md §1.4, INFERRED), so validation failures are
FastAPI's 422 list ``{"detail": [{"type", "loc", "msg", "input", "ctx"?}]}`` with
pydantic-v2 types and messages, every problem reported at once.

Rendering: the documented key order of every object (seed 001, §3.2, §3.8), with
timestamps in the request zone (``timefmt``). Bodies are serialised exactly like
Starlette's/FastAPI's ``JSONResponse`` (compact separators, UTF-8).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any, Final

from emulator.asleep import errors, timefmt
from emulator.asleep.analysis import Reading, read, validity
from emulator.asleep.callbacks import resolve_version, valid_callback_url
from emulator.asleep.models import AsleepState, Rules, Session, User
from emulator.asleep.night import osa_stages
from emulator.asleep.peculiarities import SessionState, Validity

GENDERS: Final = ("male", "female", "non_binary", "other", "prefer_not_to_say")
INFERENCE_TYPES: Final = ("MELSPECTROGRAM", "AUDIO")
DEFAULT_SERVICE: Final = "NOSERVICE"
MAX_LIST_LIMIT: Final = 100
DEFAULT_LIST_LIMIT: Final = 20

Problem = dict[str, Any]


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


# --------------------------------------------------------------------------- FastAPI 422


def problem(
    kind: str, loc: list[str | int], msg: str, value: Any, ctx: Mapping[str, Any] | None = None
) -> Problem:
    found: Problem = {"type": kind, "loc": loc, "msg": msg, "input": value}
    if ctx is not None:
        found["ctx"] = dict(ctx)
    return found


def missing(loc: list[str | int], value: Any = None) -> Problem:
    return problem("missing", loc, "Field required", value)


def _expected(options: tuple[str, ...]) -> str:
    quoted = [f"'{o}'" for o in options]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _literal(loc: list[str | int], value: Any, options: tuple[str, ...]) -> Problem | None:
    if isinstance(value, str) and value in options:
        return None
    expected = _expected(options)
    return problem(
        "literal_error", loc, f"Input should be {expected}", value, {"expected": expected}
    )


def _int(loc: list[str | int], value: Any) -> tuple[int | None, Problem | None]:
    """pydantic-v2 lax int: ints, integral floats and numeric strings."""
    if isinstance(value, bool):
        return None, problem("int_type", loc, "Input should be a valid integer", value)
    if isinstance(value, int):
        return value, None
    if isinstance(value, float):
        if value.is_integer():
            return int(value), None
        msg = "Input should be a valid integer, got a number with a fractional part"
        return None, problem("int_from_float", loc, msg, value)
    if isinstance(value, str):
        try:
            return int(value.strip()), None
        except ValueError:
            msg = "Input should be a valid integer, unable to parse string as an integer"
            return None, problem("int_parsing", loc, msg, value)
    return None, problem("int_type", loc, "Input should be a valid integer", value)


def _float(loc: list[str | int], value: Any) -> tuple[float | None, Problem | None]:
    if isinstance(value, bool):
        return None, problem("float_type", loc, "Input should be a valid number", value)
    if isinstance(value, int | float):
        return float(value), None
    if isinstance(value, str):
        try:
            return float(value.strip()), None
        except ValueError:
            msg = "Input should be a valid number, unable to parse string as a number"
            return None, problem("float_parsing", loc, msg, value)
    return None, problem("float_type", loc, "Input should be a valid number", value)


def _bounds(
    loc: list[str | int], number: float, value: Any, ge: float | None, le: float | None
) -> Problem | None:
    if ge is not None and number < ge:
        return problem(
            "greater_than_equal",
            loc,
            f"Input should be greater than or equal to {ge}",
            value,
            {"ge": ge},
        )
    if le is not None and number > le:
        return problem(
            "less_than_equal", loc, f"Input should be less than or equal to {le}", value, {"le": le}
        )
    return None


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


def parse_json_body(raw: bytes, *, required: bool) -> tuple[Any, Problem | None]:
    """A JSON body as FastAPI reads it; ``(None, None)`` for an absent optional body."""
    if not raw.strip():
        return None, (missing(["body"]) if required else None)
    try:
        return loads(raw), None
    except (ValueError, UnicodeDecodeError) as exc:
        pos = getattr(exc, "pos", 0)
        reason = getattr(exc, "msg", "Invalid JSON")
        return None, problem(
            "json_invalid", ["body", pos], "JSON decode error", {}, {"error": reason}
        )


# --------------------------------------------------------------------------- user metadata


_METADATA_FIELDS: Final = ("birth_year", "birth_month", "birth_day", "gender", "height", "weight")


def metadata(
    value: Any, *, this_year: int, loc: list[str | int]
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Validate ``metadata`` (asleep-api.md §3.1 constraints); None stays None.

    Unknown keys are dropped (pydantic's default), every documented key is kept,
    absent ones as null, in the documented order.
    """
    if value is None:
        return None, []
    if not isinstance(value, dict):
        return None, [
            problem(
                "model_attributes_type",
                loc,
                "Input should be a valid dictionary or object to extract fields from",
                value,
            )
        ]
    out: dict[str, Any] = {}
    found: list[Problem] = []
    ranges: dict[str, tuple[int, int]] = {
        "birth_year": (1900, this_year),
        "birth_month": (1, 12),
        "birth_day": (1, 31),
    }
    for key, (low, high) in ranges.items():
        raw = value.get(key)
        out[key] = None
        if raw is None:
            continue
        number, bad = _int([*loc, key], raw)
        bad = bad or (None if number is None else _bounds([*loc, key], number, raw, low, high))
        if bad:
            found.append(bad)
        else:
            out[key] = number
    gender = value.get("gender")
    out["gender"] = None
    if gender is not None:
        bad = _literal([*loc, "gender"], gender, GENDERS)
        if bad:
            found.append(bad)
        else:
            out["gender"] = gender
    for key, ceiling in (("height", 300), ("weight", 1000)):
        raw = value.get(key)
        out[key] = None
        if raw is None:
            continue
        real, bad = _float([*loc, key], raw)
        if bad is None and real is not None and not math.isfinite(real):
            bad = problem("finite_number", [*loc, key], "Input should be a finite number", raw)
        bad = bad or (None if real is None else _bounds([*loc, key], real, raw, 0, ceiling))
        if bad is None and real is not None and _decimals(real) > 1:
            bad = problem(
                "value_error",
                [*loc, key],
                f"Value error, {key} must have at most one decimal place",
                raw,
                {"error": {}},
            )
        if bad:
            found.append(bad)
        else:
            out[key] = real
    year, month, day = out["birth_year"], out["birth_month"], out["birth_day"]
    if not found and year is not None and month is not None and day is not None:
        try:
            date(year, month, day)
        except ValueError:
            found.append(
                problem(
                    "value_error",
                    loc,
                    "Value error, birth_day is not a valid day of birth_month in birth_year",
                    value,
                    {"error": {}},
                )
            )
    return out, found


def _decimals(value: float) -> int:
    exponent = Decimal(repr(value)).as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def user_metadata_body(raw: bytes, *, this_year: int, required: bool) -> dict[str, Any] | None:
    """The ``metadata`` of a create (optional body) or update (required key) request."""
    body, bad = parse_json_body(raw, required=required)
    if bad:
        raise errors.ValidationFailed([bad])
    if body is None:
        return None
    if not isinstance(body, dict):
        raise errors.ValidationFailed(
            [
                problem(
                    "model_attributes_type",
                    ["body"],
                    "Input should be a valid dictionary or object to extract fields from",
                    body,
                )
            ]
        )
    if required and "metadata" not in body:
        raise errors.ValidationFailed([missing(["body", "metadata"], body)])
    meta, found = metadata(body.get("metadata"), this_year=this_year, loc=["body", "metadata"])
    if found:
        raise errors.ValidationFailed(found)
    return meta


# --------------------------------------------------------------------------- session API


def callback_url(value: Any) -> str | None:
    """An optional callback URL: absolute http(s) or 400 ``Invalid callback url``."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not valid_callback_url(value):
        raise errors.InvalidCallbackUrl()
    return value


@dataclass(frozen=True, slots=True)
class CreateSession:
    start_time: int | None
    callback_url: str | None
    callback_version: str | None
    service: str
    inference_type: str
    timezone: str | None


def create_session(fields: Mapping[str, Any]) -> CreateSession:
    """The (all-optional) create-session body (asleep-api.md §3.5 INFERRED contract)."""
    start_time: int | None = None
    raw_start = fields.get("start_time")
    if raw_start is not None:
        start_time = timefmt.parse_instant(raw_start) if isinstance(raw_start, str) else None
        if start_time is None:
            raise errors.InvalidStartTime()
    service = fields.get("service")
    if service is None or service == "":
        service = DEFAULT_SERVICE
    inference_type = fields.get("inference_type") or "MELSPECTROGRAM"
    raw_version = fields.get("callback_version")
    timezone = fields.get("timezone")
    if (
        not isinstance(service, str)
        or len(service) > 200
        or inference_type not in INFERENCE_TYPES
        or (raw_version is not None and not isinstance(raw_version, str))
        or (timezone is not None and not isinstance(timezone, str))
    ):
        raise errors.InvalidParameter()
    # Absent: the API key's plan decides at delivery time (callbacks.resolve_version).
    version: str | None = None
    if raw_version:
        try:
            version = resolve_version(raw_version)
        except ValueError:
            raise errors.InvalidParameter() from None
    return CreateSession(
        start_time=start_time,
        callback_url=callback_url(fields.get("callback_url")),
        callback_version=version,
        service=service,
        inference_type=inference_type,
        timezone=timezone,
    )


_ASCII_DIGITS: Final = re.compile(r"[0-9]{1,18}")


def seq_num(value: Any) -> int:
    """The upload's ``seq_num``: an int >= 0, else 422 ``Not valid parameter``."""
    if isinstance(value, bool):
        raise errors.NotValidParameter()
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _ASCII_DIGITS.fullmatch(value.strip()):
        # ASCII digits only, and few enough for int(): "²".isdigit() is true but int()
        # refuses it, and a 5,000-digit string is past int()'s limit (both were 500s).
        number = int(value.strip())
    else:
        raise errors.NotValidParameter()
    if number < 0 or number > 10_000_000:
        raise errors.NotValidParameter()
    return number


def flag(value: Any) -> bool:
    """The close ``unexpected`` marker: 1/true/yes (seed 001: "unexpected parameter set to 1")."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value == 1
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return False


@dataclass(frozen=True, slots=True)
class CloseSession:
    end_time: int | None
    unexpected: bool
    callback_url: str | None


def close_session(fields: Mapping[str, Any], *, start_time: int, max_span: int) -> CloseSession:
    raw_end = fields.get("end_time")
    end_time: int | None = None
    if raw_end is not None and raw_end != "":
        end_time = timefmt.parse_instant(raw_end) if isinstance(raw_end, str) else None
        # Intended rule end > start (the Korean text's "smaller" is a doc error, §3.5);
        # an end more than twice the 24-hour cap away is refused too (INFERRED bound).
        if end_time is None or end_time <= start_time or end_time - start_time > max_span:
            raise errors.InvalidEndTime()
    return CloseSession(
        end_time=end_time,
        unexpected=flag(fields.get("unexpected")),
        callback_url=callback_url(fields.get("callback_url")),
    )


# --------------------------------------------------------------------------- Data API queries


def _date_problem(loc: list[str | int], text: str) -> Problem:
    """pydantic-v2 ``date_from_datetime_parsing`` with speedate-like reasons."""
    reason = "invalid date format"
    if len(text) < 10:
        reason = "input is too short"
    elif not text[:4].isdigit():
        reason = "invalid character in year"
    elif text[4] != "-" or text[7] != "-":
        reason = "invalid date separator, expected `-`"
    elif not text[5:7].isdigit():
        reason = "invalid character in month"
    elif not text[8:10].isdigit():
        reason = "invalid character in day"
    elif len(text) > 10:
        reason = "unexpected extra characters at the end of the input"
    elif not 1 <= int(text[5:7]) <= 12:
        reason = "month value is outside expected range of 1-12"
    else:
        reason = "day value is outside expected range"
    return problem(
        "date_from_datetime_parsing",
        loc,
        f"Input should be a valid date or datetime, {reason}",
        text,
        {"error": reason},
    )


def _query_date(
    query: Mapping[str, str], name: str, found: list[Problem], *, required: bool
) -> date | None:
    text = query.get(name)
    if text is None:
        if required:
            found.append(missing(["query", name]))
        return None
    parsed = timefmt.parse_date(text)
    if parsed is None:
        found.append(_date_problem(["query", name], text))
    return parsed


def _query_int(
    query: Mapping[str, str], name: str, default: int, found: list[Problem], ge: int, le: int | None
) -> int:
    text = query.get(name)
    if text is None:
        return default
    number, bad = _int(["query", name], text)
    if bad is None and number is not None:
        bad = _bounds(["query", name], number, text, ge, le)
    if bad is not None or number is None:
        found.append(bad or missing(["query", name]))
        return default
    return number


@dataclass(frozen=True, slots=True)
class ListQuery:
    date_gte: date | None
    date_lte: date | None
    descending: bool
    offset: int
    limit: int


def list_query(query: Mapping[str, str]) -> ListQuery:
    """``GET /data/v1/sessions`` parameters (asleep-api.md §3.8)."""
    found: list[Problem] = []
    gte = _query_date(query, "date_gte", found, required=False)
    lte = _query_date(query, "date_lte", found, required=False)
    order = query.get("order_by", "DESC")
    bad = _literal(["query", "order_by"], order, ("ASC", "DESC"))
    if bad:
        found.append(bad)
    offset = _query_int(query, "offset", 0, found, 0, None)
    limit = _query_int(query, "limit", DEFAULT_LIST_LIMIT, found, 0, MAX_LIST_LIMIT)
    if found:
        raise errors.ValidationFailed(found)
    return ListQuery(gte, lte, order != "ASC", offset, limit)


def period_query(query: Mapping[str, str], max_days: int) -> tuple[date, date]:
    """Average-stats ``start_date``/``end_date``: required, inclusive, at most 100 days."""
    found: list[Problem] = []
    start = _query_date(query, "start_date", found, required=True)
    end = _query_date(query, "end_date", found, required=True)
    if found or start is None or end is None:
        raise errors.ValidationFailed(found)
    if end < start:
        raise errors.PeriodReversed()
    # INFERRED: the period counts both end dates ([start, end] holds <= 100 days).
    if (end - start).days + 1 > max_days:
        raise errors.PeriodTooLong(max_days)
    return start, end


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
        "stat": None if reading.stat is None else reading.stat.as_dict(_renderer(tz)),
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
        stat = reading.stat.as_v2_dict(_renderer(tz))
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
