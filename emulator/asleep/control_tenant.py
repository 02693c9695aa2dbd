"""The calling tenant of an Asleep control call, and the lookups every such call shares.

Control calls under ``/_emulator/asleep`` (``control``, ``nights``, ``browse``) name
their tenant by the ``x-api-key`` header, as on the vendor API (``?api_key=`` is an
alias, ``emulator.core.control_tenant``). Their errors use the control shape
``{"error", "message"}``: an unknown key is 401 ``unauthorized``, an unknown user or
session 404 ``not_found``, a body that is not a JSON object 400 ``invalid_body``.
"""

from __future__ import annotations

from typing import Any, TypeVar

from starlette.requests import Request

from emulator.asleep.entities import Session, User
from emulator.asleep.state import AsleepState, state_of
from emulator.asleep.wiring import now_of, rules_for
from emulator.core import jsonin
from emulator.core.control_tenant import named_tenant
from emulator.core.errors import ControlError
from emulator.core.runtime import runtime
from emulator.core.tables import Record, Table

R = TypeVar("R", bound=Record)


class ControlTenant:
    """The calling tenant's Asleep state, rules and virtual now."""

    def __init__(self, request: Request) -> None:
        rt = runtime(request)
        tenant = rt.tenants.lookup(named_tenant(request))
        if tenant is None:
            raise ControlError(
                "send the tenant's API key in the x-api-key header",
                status_code=401,
                error_code="unauthorized",
            )
        self.rt = rt
        self.rules = rules_for(rt, tenant)
        self.state: AsleepState = state_of(rt.store.namespace(tenant.api_key))
        self.now = now_of(rt)


async def json_object(request: Request) -> dict[str, Any]:
    """The request body, which must be a JSON object (an empty body reads as null)."""
    try:
        body = jsonin.loads(await request.body() or b"null")
    except jsonin.JsonInputError as exc:
        raise ControlError(
            f"the body must be a JSON object ({exc})", error_code="invalid_body"
        ) from None
    if not isinstance(body, dict):
        raise ControlError("the body must be a JSON object", error_code="invalid_body")
    return body


def _row(table: Table[R], key: str, what: str) -> R:
    """Row ``key`` of one of the tenant's tables, or the control API's 404."""
    found = table.get(key)
    if found is None:
        raise ControlError(
            f"no {what} {key} for this API key", status_code=404, error_code="not_found"
        )
    return found


def path_user(t: ControlTenant, request: Request) -> User:
    """The user named by the ``{user_id}`` path parameter."""
    return _row(t.state.users, request.path_params["user_id"], "user")


def path_session(t: ControlTenant, request: Request) -> Session:
    """The session named by the ``{session_id}`` path parameter."""
    return _row(t.state.sessions, request.path_params["session_id"], "session")
