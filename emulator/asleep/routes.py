"""Asleep's HTTP endpoints: the Session API (/ai/v1) and the Data API (/data/v1..v3).

Each handler checks in the documented precedence (asleep-api.md §4.5): API key
(401 ``Unauthorized``), plan (403), ``x-user-id`` (401 missing / 400 malformed),
unknown user (404), unknown or foreign session (404), bad ``timezone`` (400),
validation (422), then state conflicts (403/409). Wording follows the newest
documentation of each endpoint (§9.8); each message cites its source in ``errors``.

Create, upload and close are not public (§3.5): their paths and fields are the
research notes' INFERRED contract. Every event a request produced is handed to the
hooks in ``runtime.extras["asleep.event_hooks"]`` (``(tenant, event) -> None``),
where webhook delivery plugs in (``wiring``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from emulator.asleep import analysis, averages, chunks, errors, ids, schemas, timefmt, wiring
from emulator.asleep.control import control_routes, scenarios
from emulator.asleep.models import (
    AsleepState,
    Rules,
    Session,
    User,
    service_profile,
    state_of,
)
from emulator.asleep.peculiarities import SessionState
from emulator.asleep.settings import AsleepAccess
from emulator.asleep.vocab import MAX_PERIOD_DAYS
from emulator.core import lazy
from emulator.core.headers import header
from emulator.core.runtime import Runtime, runtime

if TYPE_CHECKING:
    from emulator.asleep import bodies
else:
    # The request models import pydantic: loaded by the first request that needs them.
    bodies = lazy.module("emulator.asleep.bodies")

__all__ = ["advancer", "control_routes", "routes", "scenarios"]

advancer = wiring.advancer

JSON = "application/json"


@dataclass(slots=True)  # not frozen: one is made per request, and frozen inits cost more
class Call:
    """Who is calling and what they may do."""

    rt: Runtime
    rules: Rules
    state: AsleepState
    now: int


def _call(request: Request) -> Call:
    rt = runtime(request)
    tenant = rt.tenants.lookup(header(request.scope, b"x-api-key"))
    if tenant is None:
        raise errors.Unauthorized()
    access = tenant.access(AsleepAccess)
    if not access.enabled:
        raise errors.Forbidden(access.denied)
    state = state_of(rt.store.namespace(tenant.api_key))
    return Call(rt, wiring.rules_for(rt, tenant), state, wiring.now_of(rt))


def publish(call: Call) -> None:
    """Hand the request's events to the registered hooks (webhooks, issue 6)."""
    wiring.publish(call.rt, call.rules.tenant, call.state)


def _json(document: Any, status: int = 200) -> Response:
    return Response(schemas.dumps(document), status_code=status, media_type=JSON)


def _user_header(
    request: Request,
    call: Call,
    *,
    malformed: type[errors.AsleepError] = errors.MalformedUserIdHeader,
    unknown: str = "user does not exist",
) -> User:
    user_id = (header(request.scope, b"x-user-id") or "").strip()
    if not user_id:
        raise errors.InvalidUserIdHeader()
    if not ids.is_user_id(user_id):
        raise malformed()
    user = call.state.users.get(user_id)
    if user is None:
        raise errors.UserNotFound(unknown.format(user_id=user_id))
    return user


def _owned(call: Call, user: User, session_id: str, message: str) -> Session:
    """The user's session, else 404: another user's session does not exist for them."""
    session = call.state.sessions.get(session_id)
    if session is None or session.user_id != user.user_id:
        raise errors.SessionNotFound(message.format(session_id=session_id))
    return session


def _zone(request: Request, *, query_fallback: bool = False) -> tuple[tzinfo, str]:
    name = header(request.scope, b"timezone")
    if name is None and query_fallback:
        # The consumer variant of average-stats passes it as a query (§3.9, INFERRED).
        name = request.query_params.get("timezone")
    name = timefmt.DEFAULT_ZONE if name is None else name.strip()
    found = timefmt.zone(name)
    if found is None:
        raise errors.InvalidTimezone()
    return found, name


async def _fields(request: Request, *, bad: Callable[[], errors.AsleepError]) -> dict[str, Any]:
    """A small JSON object or form body as a dict (create/close accept either)."""
    ctype = request.headers.get("content-type", "")
    if ctype.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        try:
            form = await request.form(max_files=0, max_fields=50)
        except HTTPException:
            raise bad() from None
        try:
            return {k: v for k, v in form.multi_items() if isinstance(v, str)}
        finally:
            await form.close()
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = schemas.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise bad() from None
    if not isinstance(body, dict):
        raise bad()
    return body


# --------------------------------------------------------------------------- users


async def create_user(request: Request) -> Response:
    """POST /ai/v1/users: 201 ``{"detail": "success", "result": {"user_id"}}`` (§3.1)."""
    call = _call(request)
    body = await _user_body(request, call, bodies.AsleepUserCreate, required=False)
    user = call.state.create_user(call.rules, call.now, _metadata(body))
    return _json(schemas.success({"user_id": user.user_id}), 201)


async def _user_body(
    request: Request, call: Call, model: type[bodies.Model], *, required: bool
) -> bodies.Model | None:
    year = int(timefmt.aware(call.now).year)
    ctype = request.headers.get("content-type")
    raw = await request.body()
    return bodies.json_body(model, raw, ctype, required=required, context={"this_year": year})


def _metadata(body: bodies.AsleepUserCreate | bodies.AsleepUserUpdate | None) -> Any:
    """Every documented key, absent ones as null, in the documented order (§3.2)."""
    return None if body is None or body.metadata is None else body.metadata.model_dump()


def _path_user(call: Call, request: Request, message: str) -> User:
    user = call.state.users.get(request.path_params["user_id"])
    if user is None:
        raise errors.UserNotFound(message)
    return user


async def get_user(request: Request) -> Response:
    """GET /ai/v1/users/{user_id} (§3.2); current docs: 404 ``user does not exist``."""
    call = _call(request)
    try:
        user = _path_user(call, request, "user does not exist")
        last = call.state.last_session(user.user_id)
        if last is not None:
            call.state.refresh(call.rules, call.now, last)
        return _json(schemas.success(schemas.user(user, last)))
    finally:
        publish(call)


async def update_user(request: Request) -> Response:
    """PUT /ai/v1/users/{user_id} (§3.3); its page documents 404 ``user not exist``."""
    call = _call(request)
    user = _path_user(call, request, "user not exist")
    body = await _user_body(request, call, bodies.AsleepUserUpdate, required=True)
    call.state.update_metadata(user, _metadata(body))
    return _json(schemas.success({"user_id": user.user_id, "metadata": user.metadata}))


async def delete_user(request: Request) -> Response:
    """DELETE /ai/v1/users/{user_id} (§3.4, wording A): 401 / 404, then 204."""
    call = _call(request)
    user_id = request.path_params["user_id"]
    if not ids.is_user_id(user_id):
        raise errors.AsleepError("user_id is invalid", status_code=401)
    user = _path_user(call, request, "user does not exist")
    call.state.delete_user(user)
    return Response(status_code=204)


# --------------------------------------------------------------------------- sessions


async def create_session(request: Request) -> Response:
    """POST /ai/v1/sessions (INFERRED, §3.5): 201 ``{"result": {"session_id"}}``."""
    call = _call(request)
    try:
        user = _user_header(request, call)
        header_zone = request.headers.get("timezone")
        fields = await _fields(request, bad=errors.InvalidParameter)
        zone_name = header_zone if header_zone is not None else fields.get("timezone")
        if zone_name is not None:
            if not isinstance(zone_name, str) or timefmt.zone(zone_name.strip()) is None:
                raise errors.InvalidTimezone()
            zone_name = zone_name.strip()
        body = bodies.documented(
            bodies.AsleepCreateSession,
            fields,
            {
                "start_time": errors.InvalidStartTime,
                "*": errors.InvalidParameter,
                "callback_url": errors.InvalidCallbackUrl,
            },
        )
        if _magic_profile_invalid(body.service):
            raise errors.InvalidParameter()
        session = call.state.create_session(
            call.rules,
            call.now,
            user,
            start_time=body.start_time,
            created_timezone=zone_name or timefmt.DEFAULT_ZONE,
            service=body.service,
            inference_type=body.inference_type,
            callback_url=body.callback_url,
            callback_version=body.callback_version,
        )
        return _json(schemas.success({"session_id": session.session_id}), 201)
    finally:
        publish(call)


def _magic_profile_invalid(service: str) -> bool:
    try:
        service_profile(service)
    except ValueError:
        return True
    return False


_UPLOAD_404 = "Session does not exist"  # v1.0 error table, upload


async def upload(request: Request) -> Response:
    """POST /ai/v1/sessions/{id}/upload, multipart ``file`` + ``seq_num`` (INFERRED)."""
    call = _call(request)
    try:
        user = _user_header(request, call)
        session = _owned(call, user, request.path_params["session_id"], _UPLOAD_404)
        settings = call.rules.settings
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            raise errors.NotValidParameter()
        try:
            form = await request.form(
                max_files=4, max_fields=20, max_part_size=settings.max_body_bytes
            )
        except HTTPException:
            raise errors.NotValidParameter() from None
        try:
            fields = {
                "seq_num": form.get("seq_num", request.query_params.get("seq_num")),
                "file": form.get("file"),
                "callback_url": form.get("callback_url"),
            }
            texts = {"*": errors.NotValidParameter, "callback_url": errors.InvalidCallbackUrl}
            body = bodies.documented(bodies.AsleepUpload, fields, texts)
            seq_num, callback_url = body.seq_num, body.callback_url
            call.state.admit(call.rules, call.now, session, seq_num)
            # One byte past the 10 MB chunk limit is enough to refuse it; never read more.
            data = await body.file.read(settings.chunk_max_bytes + 1)
        finally:
            await form.close()
        # An oversized chunk fails the policy's size check first: the documented 400 text.
        chunks.check(session.inference_type, data, settings)
        del data  # never kept: 10,000 nights must fit in memory
        call.state.upload(call.rules, call.now, session, seq_num, callback_url)
        # INFERRED success body: small, Session API envelope.
        return _json(schemas.success({"session_id": session.session_id, "seq_num": seq_num}))
    finally:
        publish(call)


async def close(request: Request) -> Response:
    """POST /ai/v1/sessions/{id}/close (alias ``/end``), INFERRED contract (§3.5)."""
    call = _call(request)
    try:
        user = _user_header(request, call)
        session = _owned(call, user, request.path_params["session_id"], _UPLOAD_404)
        fields: dict[str, Any] = dict(request.query_params)
        fields.update(await _fields(request, bad=lambda: errors.AsleepError("Invalid parameter")))
        texts = {"end_time": errors.InvalidEndTime, "callback_url": errors.InvalidCallbackUrl}
        body = bodies.documented(bodies.AsleepCloseSession, fields, texts)
        # Intended rule end > start (the Korean text's "smaller" is a doc error, §3.5);
        # an end more than twice the 24-hour cap away is refused too (INFERRED bound).
        span = 2 * call.rules.settings.max_session_seconds
        end = body.end_time
        if end is not None and not 0 < end - session.start_time <= span:
            raise errors.InvalidEndTime()
        call.state.close(
            call.rules,
            call.now,
            session,
            end_time=body.end_time,
            unexpected=body.unexpected,
            callback_url=body.callback_url,
        )
        return _json(
            schemas.success({"session_id": session.session_id, "state": session.state.value})
        )
    finally:
        publish(call)


async def delete_session(request: Request) -> Response:
    """DELETE /ai/v1/sessions/{id} (§3.6): its page's 401/404 wording, then 204."""
    call = _call(request)
    user = _user_header(
        request, call, malformed=errors.InvalidUserIdHeader, unknown="user not exist"
    )
    session = _owned(call, user, request.path_params["session_id"], "session does not exist")
    call.state.delete_session(session)
    return Response(status_code=204)


# --------------------------------------------------------------------------- Data API


_DATA_USER_404 = "Unable to find the user of id {user_id}"  # Data API style ([2ND] §3.9)
_DATA_SESSION_404 = "Unable to find the sleep session of id {session_id}"  # seed 001 §2.3


async def get_session_v3(request: Request) -> Response:
    """GET /data/v3/sessions/{id} (seed 001)."""
    return await _get_session(request, version=3)


async def get_session_v2(request: Request) -> Response:
    """GET /data/v2/sessions/{id}: the v1.0-era shape (asleep-api.md §3.7.2)."""
    return await _get_session(request, version=2)


async def _get_session(request: Request, *, version: int) -> Response:
    call = _call(request)
    try:
        user = _user_header(request, call, unknown=_DATA_USER_404)
        session_id = request.path_params["session_id"]
        if not ids.is_session_id(session_id):
            raise errors.MalformedSessionId(session_id)
        session = _owned(call, user, session_id, _DATA_SESSION_404)
        _, zone_name = _zone(request)
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
    call = _call(request)
    try:
        user = _user_header(request, call, unknown=_DATA_USER_404)
        tz, zone_name = _zone(request)
        query = bodies.query(bodies.AsleepListQuery, request.query_params)
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
        return _json(
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
    call = _call(request)
    try:
        user_id = request.path_params["user_id"]
        user = call.state.users.get(user_id)
        if user is None:
            raise errors.UserNotFound(_DATA_USER_404.format(user_id=user_id))
        tz, zone_name = _zone(request, query_fallback=True)
        period = bodies.query(bodies.AsleepPeriodQuery, request.query_params)
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
        return _json(schemas.ok(result))
    finally:
        publish(call)


routes: list[BaseRoute] = [
    Route("/ai/v1/users", create_user, methods=["POST"]),
    Route("/ai/v1/users/{user_id}", get_user, methods=["GET"]),
    Route("/ai/v1/users/{user_id}", update_user, methods=["PUT"]),
    Route("/ai/v1/users/{user_id}", delete_user, methods=["DELETE"]),
    Route("/ai/v1/sessions", create_session, methods=["POST"]),
    Route("/ai/v1/sessions/{session_id}/upload", upload, methods=["POST"]),
    Route("/ai/v1/sessions/{session_id}/close", close, methods=["POST"]),
    Route("/ai/v1/sessions/{session_id}/end", close, methods=["POST"]),
    Route("/ai/v1/sessions/{session_id}", delete_session, methods=["DELETE"]),
    Route("/data/v3/sessions/{session_id}", get_session_v3, methods=["GET"]),
    Route("/data/v2/sessions/{session_id}", get_session_v2, methods=["GET"]),
    Route("/data/v1/sessions", list_sessions, methods=["GET"]),
    Route("/data/v1/users/{user_id}/average-stats", average_stats, methods=["GET"]),
]
