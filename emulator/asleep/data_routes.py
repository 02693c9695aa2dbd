"""Asleep's Data API endpoints (/data/v1..v3): single session, list, average stats.

The checks run in the documented precedence (``calls``; asleep-api.md §4.5), then
FastAPI-style query validation (``validation``, 422) and the documented 400s. Reads
refresh sessions on the virtual clock; a COMPLETE session's body is cached per
(version, zone, plan).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from emulator.asleep import analysis, averages, errors, ids, schemas, timefmt
from emulator.asleep.calls import JSON, call_of, json_response, owned, publish, user_header, zone_of
from emulator.asleep.entities import Session
from emulator.asleep.peculiarities import SessionState
from emulator.asleep.vocab import MAX_PERIOD_DAYS
from emulator.core import lazy

if TYPE_CHECKING:
    from emulator.asleep import bodies, validation
else:
    bodies = lazy.module("emulator.asleep.bodies")  # pydantic: on the first request
    validation = lazy.module("emulator.asleep.validation")


_DATA_USER_404 = "Unable to find the user of id {user_id}"  # Data API style ([2ND] §3.9)
_DATA_SESSION_404 = "Unable to find the sleep session of id {session_id}"  # seed 001 §2.3


async def get_session_v3(request: Request) -> Response:
    """GET /data/v3/sessions/{id} (seed 001)."""
    return await _get_session(request, version=3)


async def get_session_v2(request: Request) -> Response:
    """GET /data/v2/sessions/{id}: the v1.0-era shape (asleep-api.md §3.7.2)."""
    return await _get_session(request, version=2)


async def _get_session(request: Request, *, version: int) -> Response:
    call = call_of(request)
    try:
        user = user_header(request, call, unknown=_DATA_USER_404)
        session_id = request.path_params["session_id"]
        if not ids.is_session_id(session_id):
            raise errors.MalformedSessionId(session_id)
        session = owned(call, user, session_id, _DATA_SESSION_404)
        _, zone_name = zone_of(request)
        call.state.refresh(call.rules, call.now, session, observe=True)
        plan = call.rules.plan
        key = (session_id, version, zone_name, plan.four_stage, plan.breathing, plan.realtime)
        cacheable = session.state is SessionState.COMPLETE
        if cacheable:
            body = call.state.cached(key)
            if body is not None:
                return Response(body, media_type=JSON)
        result = schemas.session_result(
            call.state, call.rules, session, version=version, zone=zone_name
        )
        body = schemas.dumps(schemas.ok(result))
        if cacheable:
            call.state.cache(key, body)
        return Response(body, media_type=JSON)
    finally:
        publish(call)


async def list_sessions(request: Request) -> Response:
    """GET /data/v1/sessions (§3.8): filters by start date in the request zone."""
    call = call_of(request)
    try:
        user = user_header(request, call, unknown=_DATA_USER_404)
        tz, zone_name = zone_of(request)
        query = validation.query(bodies.AsleepListQuery, request.query_params)
        descending = query.order_by == "DESC"
        chosen: list[Session] = []
        for session in list(call.state.sessions_of(user.user_id)):
            call.state.refresh(call.rules, call.now, session)
            day = timefmt.local_date(session.start_time, tz)
            if query.date_gte is not None and day < query.date_gte:
                continue
            if query.date_lte is not None and day > query.date_lte:
                continue
            chosen.append(session)
        chosen.sort(key=lambda s: (s.start_time, s.ordinal), reverse=descending)
        page = chosen[query.offset : query.offset + query.limit]
        return json_response(
            schemas.ok(
                {
                    "timezone": zone_name,
                    "sleep_session_list": [schemas.list_item(s, tz) for s in page],
                }
            )
        )
    finally:
        publish(call)


async def average_stats(request: Request) -> Response:
    """GET /data/v1/users/{user_id}/average-stats (§3.9)."""
    call = call_of(request)
    try:
        user_id = request.path_params["user_id"]
        user = call.state.users.get(user_id)
        if user is None:
            raise errors.UserNotFound(_DATA_USER_404.format(user_id=user_id))
        tz, zone_name = zone_of(request, query_fallback=True)
        period = validation.query(bodies.AsleepPeriodQuery, request.query_params)
        start, end = period.start_date, period.end_date
        if end < start:
            raise errors.PeriodReversed()
        # INFERRED: the period counts both end dates ([start, end] holds <= 100 days).
        if (end - start).days + 1 > MAX_PERIOD_DAYS:
            raise errors.PeriodTooLong(MAX_PERIOD_DAYS)
        completed: list[averages.CompletedSession] = []
        for session in list(call.state.sessions_of(user.user_id)):
            call.state.refresh(call.rules, call.now, session)
            if session.state is not SessionState.COMPLETE:
                continue
            reading = analysis.read(call.state, call.rules, session)
            assert session.end_time is not None
            assert session.complete_time is not None
            completed.append(
                averages.CompletedSession(
                    id=session.session_id,
                    start_time=timefmt.aware(session.start_time),
                    end_time=timefmt.aware(session.end_time),
                    completed_time=timefmt.aware(session.complete_time),
                    created_timezone=session.created_timezone,
                    stat=reading.stat,
                    never_slept="NEVER_SLEPT" in reading.labels,
                    peculiarities=tuple(reading.labels),
                )
            )
        result = averages.average_stats(
            completed,
            tz=tz,
            timezone_name=zone_name,
            start_date=start,
            end_date=end,
            breathing_plan=call.rules.plan.breathing,
            render_time=schemas.render_time_in(tz),
        )
        return json_response(schemas.ok(result))
    finally:
        publish(call)
