"""What every Asleep endpoint does first: who is calling, which user, which zone.

The shared steps of the handlers in ``routes`` (Session API) and ``data_routes``
(Data API), in the documented precedence (asleep-api.md §4.5): API key (401), plan
(403), ``x-user-id`` (401 missing / 400 malformed), unknown user (404), unknown or
foreign session (404), bad ``timezone`` (400); and the events a request produced,
handed to the runtime's event bus (``wiring.publish``), where webhooks plug in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from emulator.asleep import errors, ids, schemas, timefmt, wiring
from emulator.asleep.entities import Session, User
from emulator.asleep.rules import Rules
from emulator.asleep.settings import AsleepAccess
from emulator.asleep.state import AsleepState, state_of
from emulator.core.headers import header
from emulator.core.runtime import Runtime, runtime

JSON = "application/json"


@dataclass(slots=True)  # not frozen: one is made per request, and frozen inits cost more
class Call:
    """Who is calling and what they may do."""

    rt: Runtime
    rules: Rules
    state: AsleepState
    now: int


def call_of(request: Request) -> Call:
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


def json_response(document: Any, status: int = 200) -> Response:
    return Response(schemas.dumps(document), status_code=status, media_type=JSON)


def user_header(
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


def owned(call: Call, user: User, session_id: str, message: str) -> Session:
    """The user's session, else 404: another user's session does not exist for them."""
    session = call.state.sessions.get(session_id)
    if session is None or session.user_id != user.user_id:
        raise errors.SessionNotFound(message.format(session_id=session_id))
    return session


def zone_of(request: Request, *, query_fallback: bool = False) -> tuple[tzinfo, str]:
    name = header(request.scope, b"timezone")
    if name is None and query_fallback:
        # The consumer variant of average-stats passes it as a query (§3.9, INFERRED).
        name = request.query_params.get("timezone")
    name = timefmt.DEFAULT_ZONE if name is None else name.strip()
    found = timefmt.zone(name)
    if found is None:
        raise errors.InvalidTimezone()
    return found, name


async def fields_of(request: Request, *, bad: Callable[[], errors.AsleepError]) -> dict[str, Any]:
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
