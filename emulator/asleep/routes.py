"""Asleep's HTTP endpoints: the Session API (/ai/v1) here, the route table of both APIs.

Each handler checks in the documented precedence (asleep-api.md §4.5): API key
(401 ``Unauthorized``), plan (403), ``x-user-id`` (401 missing / 400 malformed),
unknown user (404), unknown or foreign session (404), bad ``timezone`` (400),
validation (422), then state conflicts (403/409). Wording follows the newest
documentation of each endpoint (§9.8); each message cites its source in ``errors``.

Create, upload and close are not public (§3.5): their paths and fields are the
research notes' INFERRED contract. The shared first steps are in ``calls``, the Data
API's handlers in ``data_routes``; request bodies are the models of ``bodies``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from emulator.asleep import chunks, errors, ids, schemas, timefmt, wiring
from emulator.asleep.calls import (
    Call,
    call_of,
    fields_of,
    json_response,
    owned,
    publish,
    user_header,
)
from emulator.asleep.control import control_routes
from emulator.asleep.control_scenarios import scenarios
from emulator.asleep.data_routes import average_stats, get_session_v2, get_session_v3, list_sessions
from emulator.asleep.entities import User
from emulator.asleep.rules import service_profile
from emulator.core import lazy
from emulator.core.routing import route_table

if TYPE_CHECKING:
    from emulator.asleep import bodies, validation
else:
    # The request models import pydantic: loaded by the first request that needs them.
    bodies = lazy.module("emulator.asleep.bodies")
    validation = lazy.module("emulator.asleep.validation")

__all__ = ["advancer", "control_routes", "routes", "scenarios"]

advancer = wiring.advancer

# --------------------------------------------------------------------------- users


async def create_user(request: Request) -> Response:
    """POST /ai/v1/users: 201 ``{"detail": "success", "result": {"user_id"}}`` (§3.1)."""
    call = call_of(request)
    body = await _user_body(request, call, bodies.AsleepUserCreate, required=False)
    user = call.state.create_user(call.rules, call.now, _metadata(body))
    return json_response(schemas.success({"user_id": user.user_id}), 201)


async def _user_body(
    request: Request, call: Call, model: type[validation.Model], *, required: bool
) -> validation.Model | None:
    year = int(timefmt.aware(call.now).year)
    ctype = request.headers.get("content-type")
    raw = await request.body()
    return validation.json_body(model, raw, ctype, required=required, context={"this_year": year})


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
    call = call_of(request)
    try:
        user = _path_user(call, request, "user does not exist")
        last = call.state.last_session(user.user_id)
        if last is not None:
            call.state.refresh(call.rules, call.now, last)
        return json_response(schemas.success(schemas.user(user, last)))
    finally:
        publish(call)


async def update_user(request: Request) -> Response:
    """PUT /ai/v1/users/{user_id} (§3.3); its page documents 404 ``user not exist``."""
    call = call_of(request)
    user = _path_user(call, request, "user not exist")
    body = await _user_body(request, call, bodies.AsleepUserUpdate, required=True)
    call.state.update_metadata(user, _metadata(body))
    return json_response(schemas.success({"user_id": user.user_id, "metadata": user.metadata}))


async def delete_user(request: Request) -> Response:
    """DELETE /ai/v1/users/{user_id} (§3.4, wording A): 401 / 404, then 204."""
    call = call_of(request)
    user_id = request.path_params["user_id"]
    if not ids.is_user_id(user_id):
        raise errors.AsleepError("user_id is invalid", status_code=401)
    user = _path_user(call, request, "user does not exist")
    call.state.delete_user(user)
    return Response(status_code=204)


# --------------------------------------------------------------------------- sessions


async def create_session(request: Request) -> Response:
    """POST /ai/v1/sessions (INFERRED, §3.5): 201 ``{"result": {"session_id"}}``."""
    call = call_of(request)
    try:
        user = user_header(request, call)
        header_zone = request.headers.get("timezone")
        fields = await fields_of(request, bad=errors.InvalidParameter)
        zone_name = header_zone if header_zone is not None else fields.get("timezone")
        if zone_name is not None:
            if not isinstance(zone_name, str) or timefmt.zone(zone_name.strip()) is None:
                raise errors.InvalidTimezone()
            zone_name = zone_name.strip()
        body = validation.documented(
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
        return json_response(schemas.success({"session_id": session.session_id}), 201)
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
    call = call_of(request)
    try:
        user = user_header(request, call)
        session = owned(call, user, request.path_params["session_id"], _UPLOAD_404)
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
            body = validation.documented(bodies.AsleepUpload, fields, texts)
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
        return json_response(
            schemas.success({"session_id": session.session_id, "seq_num": seq_num})
        )
    finally:
        publish(call)


async def close(request: Request) -> Response:
    """POST /ai/v1/sessions/{id}/close (alias ``/end``), INFERRED contract (§3.5)."""
    call = call_of(request)
    try:
        user = user_header(request, call)
        session = owned(call, user, request.path_params["session_id"], _UPLOAD_404)
        fields: dict[str, Any] = dict(request.query_params)
        fields.update(await fields_of(request, bad=lambda: errors.AsleepError("Invalid parameter")))
        texts = {"end_time": errors.InvalidEndTime, "callback_url": errors.InvalidCallbackUrl}
        body = validation.documented(bodies.AsleepCloseSession, fields, texts)
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
        return json_response(
            schemas.success({"session_id": session.session_id, "state": session.state.value})
        )
    finally:
        publish(call)


async def delete_session(request: Request) -> Response:
    """DELETE /ai/v1/sessions/{id} (§3.6): its page's 401/404 wording, then 204."""
    call = call_of(request)
    user = user_header(
        request, call, malformed=errors.InvalidUserIdHeader, unknown="user not exist"
    )
    session = owned(call, user, request.path_params["session_id"], "session does not exist")
    call.state.delete_session(session)
    return Response(status_code=204)


# --------------------------------------------------------------------------- Data API


routes: list[BaseRoute] = route_table(
    {
        "/ai/v1/users": {"POST": create_user},
        "/ai/v1/users/{user_id}": {"GET": get_user, "PUT": update_user, "DELETE": delete_user},
        "/ai/v1/sessions": {"POST": create_session},
        "/ai/v1/sessions/{session_id}/upload": {"POST": upload},
        "/ai/v1/sessions/{session_id}/close": {"POST": close},
        "/ai/v1/sessions/{session_id}/end": {"POST": close},
        "/ai/v1/sessions/{session_id}": {"DELETE": delete_session},
        "/data/v3/sessions/{session_id}": {"GET": get_session_v3},
        "/data/v2/sessions/{session_id}": {"GET": get_session_v2},
        "/data/v1/sessions": {"GET": list_sessions},
        "/data/v1/users/{user_id}/average-stats": {"GET": average_stats},
    }
)
