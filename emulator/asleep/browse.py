"""Read-only Asleep controls under ``/_emulator/asleep``: browse a tenant's users and nights.

Not part of Asleep's API: the vendor has no "list users" call and its Data API answers
per user (``x-user-id``). These let a person or a dashboard (the inspector) look
around one API key's world without knowing ids beforehand:

* ``GET /users?limit=&offset=`` - the tenant's users in creation order, each with its
  effective profile, number of sessions and last session;
* ``GET /users/{user_id}/sessions?limit=&offset=&timezone=`` - one user's sessions,
  newest first (by start time), each with state, times, peculiarities and a short
  summary of its stat;
* ``GET /sessions/{session_id}?timezone=`` - one session as the inspector draws it:
  the stage arrays, stat (with the unit of every field), peculiarities and
  missing_data_ratio, in the requested zone.

Reads apply the passage of virtual time like any read (a CLOSED session may turn
COMPLETE) but never count as a client's poll. Rendered answers of COMPLETE sessions
are kept in the state view's render cache, like Data API reads: a stored night is
not analysed again per request. Errors use the control shape.
"""

from __future__ import annotations

from datetime import UTC, tzinfo
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from emulator.asleep import analysis, schemas, timefmt
from emulator.asleep.control_tenant import ControlTenant, path_session, path_user
from emulator.asleep.entities import SECONDS_PER_EPOCH, Session, User
from emulator.asleep.peculiarities import SessionState
from emulator.asleep.profiles import default_profile_for
from emulator.asleep.state import state_of
from emulator.asleep.wiring import publish
from emulator.core.errors import ControlError
from emulator.core.runtime import Runtime

DEFAULT_LIMIT: Final = 20
MAX_LIMIT: Final = 200
JSON: Final = "application/json"

# The unit of every v3 stat field (seed 001 §2.1.6; asleep-api.md §5): durations and
# latencies in seconds, ratios as fractions of 1, clock times as instants.
STAT_UNITS: Final[dict[str, str]] = {
    "sleep_time": "instant",
    "wake_time": "instant",
    "sleep_index": "score",
    **dict.fromkeys(("sleep_latency", "wakeup_latency", "light_latency", "deep_latency",
                     "rem_latency"), "seconds"),
    **dict.fromkeys(("time_in_bed", "time_in_sleep_period", "time_in_sleep", "time_in_wake",
                     "time_in_light", "time_in_deep", "time_in_rem", "time_in_stable_breath",
                     "time_in_unstable_breath", "time_in_snoring", "time_in_no_snoring",
                     "longest_waso", "sleep_cycle"), "seconds"),
    **dict.fromkeys(("sleep_efficiency", "sleep_ratio", "wake_ratio", "light_ratio",
                     "deep_ratio", "rem_ratio", "stable_breath_ratio", "unstable_breath_ratio",
                     "snoring_ratio", "no_snoring_ratio"), "ratio"),
    "breathing_index": "per_hour",
    "breathing_pattern": "label",
    **dict.fromkeys(("waso_count", "sleep_cycle_count", "unstable_breath_count",
                     "snoring_count"), "count"),
    "sleep_cycle_time": "instants",
}  # fmt: skip
SUMMARY_KEYS: Final = (
    "time_in_sleep", "sleep_efficiency", "sleep_index", "wake_ratio", "light_ratio",
    "deep_ratio", "rem_ratio",
)  # fmt: skip


def _page(request: Request) -> tuple[int, int]:
    q = request.query_params
    limit, offset = q.get("limit", str(DEFAULT_LIMIT)), q.get("offset", "0")
    if (
        not (limit.isascii() and limit.isdigit())
        or len(limit) > 4
        or not 1 <= int(limit) <= MAX_LIMIT
    ):
        raise ControlError(f"limit must be an integer from 1 to {MAX_LIMIT}")
    if not (offset.isascii() and offset.isdigit()) or len(offset) > 9:
        raise ControlError("offset must be a non-negative integer")
    return int(limit), int(offset)


def _zone(request: Request) -> tuple[tzinfo, str]:
    name = request.query_params.get("timezone", timefmt.DEFAULT_ZONE).strip()
    found = timefmt.zone(name)
    if found is None:
        raise ControlError(
            f"timezone {name[:64]!r} is not an IANA zone name (e.g. Asia/Seoul, UTC)",
            error_code="invalid_timezone",
        )
    return found, name


def _json(document: Any) -> Response:
    return Response(schemas.dumps(document), media_type=JSON)


def _utc(ts: int | None) -> str | None:
    return None if ts is None else timefmt.render(ts, UTC)


def user_view(t: ControlTenant, user: User) -> dict[str, Any]:
    last = t.state.last_session(user.user_id)
    profile = user.profile or default_profile_for(t.rules.seed, user.user_id).value
    return {
        "user_id": user.user_id,
        "created_at": _utc(user.created_at),
        "metadata": user.metadata,
        "profile": profile,
        "profile_source": "control" if user.profile else "default",
        "sessions": t.state.session_count(user.user_id),
        "last_session": None
        if last is None
        else {
            "session_id": last.session_id,
            "state": last.state.value,
            "start_time": _utc(last.start_time),
            "end_time": _utc(last.end_time),
            "created_timezone": last.created_timezone,
        },
    }


async def list_users(request: Request) -> Response:
    t = ControlTenant(request)
    limit, offset = _page(request)
    users = t.state.users.values()
    return _json(
        {
            "total": len(users),
            "offset": offset,
            "limit": limit,
            "users": [user_view(t, u) for u in users[offset : offset + limit]],
        }
    )


def session_item(t: ControlTenant, session: Session, tz: tzinfo) -> dict[str, Any]:
    reading = analysis.read(t.state, t.rules, session)
    stat = reading.stat
    return {
        "session_id": session.session_id,
        "state": session.state.value,
        "start_time": timefmt.render(session.start_time, tz),
        "end_time": None if session.end_time is None else timefmt.render(session.end_time, tz),
        "created_timezone": session.created_timezone,
        "time_in_bed": session.time_in_bed,
        "peculiarities": reading.labels,
        "missing_data_ratio": reading.missing_data_ratio,
        "summary": None if stat is None else {k: getattr(stat, k) for k in SUMMARY_KEYS},
    }


async def user_sessions(request: Request) -> Response:
    t = ControlTenant(request)
    user = path_user(t, request)
    limit, offset = _page(request)
    tz, zone_name = _zone(request)
    try:
        sessions = list(t.state.sessions_of(user.user_id))
        for session in sessions:
            if session.state is not SessionState.COMPLETE:
                t.state.refresh(t.rules, t.now, session)
        sessions.sort(key=lambda s: (s.start_time, s.ordinal), reverse=True)
        page = sessions[offset : offset + limit]
        return _json(
            {
                "user": user_view(t, user),
                "timezone": zone_name,
                "total": len(sessions),
                "offset": offset,
                "limit": limit,
                "sessions": [session_item(t, s, tz) for s in page],
            }
        )
    finally:
        publish(t.rt, t.rules.tenant, t.state)


def session_view(t: ControlTenant, session: Session, zone_name: str) -> dict[str, Any]:
    """One session with everything the inspector draws (v3 arrays, plan-mapped)."""
    result = schemas.session_result(t.state, t.rules, session, version=3, zone=zone_name)
    tz = timefmt.zone(zone_name)
    assert tz is not None
    inner = result["session"]
    plan = t.rules.plan
    return {
        "session_id": session.session_id,
        "user_id": session.user_id,
        "state": session.state.value,
        "timezone": zone_name,
        "start_time": inner["start_time"],
        "end_time": inner["end_time"],
        "unexpected_end_time": inner["unexpected_end_time"],
        "complete_time": (
            None if session.complete_time is None else timefmt.render(session.complete_time, tz)
        ),
        "created_timezone": session.created_timezone,
        "service": session.service,
        "inference_type": session.inference_type,
        "profile": t.state.profile_of(t.rules, session).value,
        "injected": session.session_id in t.state.hypnograms,
        "four_stage": plan.four_stage,
        "breathing": plan.breathing,
        "epoch_seconds": SECONDS_PER_EPOCH,
        "received_chunks": session.received_count,
        "sleep_stages": inner["sleep_stages"],
        "breath_stages": inner["breath_stages"],
        "snoring_stages": inner["snoring_stages"],
        "peculiarities": result["peculiarities"],
        "missing_data_ratio": result["missing_data_ratio"],
        "stat": result["stat"],
        "stat_units": STAT_UNITS,
    }


async def get_session(request: Request) -> Response:
    t = ControlTenant(request)
    session = path_session(t, request)
    session_id = session.session_id
    _, zone_name = _zone(request)
    try:
        t.state.refresh(t.rules, t.now, session)
        plan = t.rules.plan
        key = (session_id, "browse", zone_name, plan.four_stage, plan.breathing, plan.realtime)
        cacheable = session.state is SessionState.COMPLETE
        body = t.state.cached(key) if cacheable else None
        if body is None:
            body = schemas.dumps(session_view(t, session, zone_name))
            if cacheable:
                t.state.cache(key, body)
        return Response(body, media_type=JSON)
    finally:
        publish(t.rt, t.rules.tenant, t.state)


def summary(rt: Runtime, api_key: str) -> dict[str, int]:
    """``Vendor.summary``: users and sessions of one API key."""
    state = state_of(rt.store.namespace(api_key))
    total = len(state.sessions)
    # ``active`` holds the sessions that are not COMPLETE: no walk over every night.
    return {"users": len(state.users), "sessions": total, "complete": total - len(state.active)}


routes: list[BaseRoute] = [
    Route("/users", list_users, methods=["GET"]),
    Route("/users/{user_id}/sessions", user_sessions, methods=["GET"]),
    Route("/sessions/{session_id}", get_session, methods=["GET"]),
]


def scenarios() -> list[dict[str, Any]]:
    """The browse calls, for ``GET /_emulator/scenarios``."""
    return [
        {
            "name": "asleep-browse",
            "kind": "control",
            "description": (
                "Look around a tenant's Asleep world: its users (profile, sessions, last "
                "session), a user's sessions newest first (state, times, peculiarities, "
                "stat summary), and one session with its stage arrays, stat with units, "
                "peculiarities and missing_data_ratio in a requested timezone. Pages with "
                "limit/offset; x-api-key names the tenant."
            ),
            "example": (
                "GET /_emulator/asleep/users?limit=50\n"
                "GET /_emulator/asleep/users/{user_id}/sessions?limit=20&offset=0"
                "&timezone=Asia/Seoul\n"
                "GET /_emulator/asleep/sessions/{session_id}?timezone=Europe/Berlin"
            ),
        }
    ]
