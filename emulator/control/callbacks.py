"""Control endpoints of the outbox: the callback delivery log, redelivery, failure switch.

Mounted under ``/_emulator`` (paths below are relative to it); errors are control
errors, ``{"error", "message"}``. The outbox itself is ``emulator.core.outbox``; it is
the runtime's ``outbox``. The tenant (``api_key`` below) is named by the X-API-Key
header; ``?api_key=`` and the failure switch's body ``"api_key"`` are aliases.

    GET    /callbacks                  the log, oldest first (filters: api_key, session_id,
                                       user_id, event, status; limit = newest N, offset =
                                       skip the newest N first; brief = no headers/bodies)
    DELETE /callbacks                  forget finished deliveries (optionally one api_key's)
    GET    /callbacks/failures         the failure switches in force
    PUT    /callbacks/failures         set one: {"mode", "remaining", "api_key", "event"}
    DELETE /callbacks/failures         switch off (?api_key=... for a tenant's switch)
    POST   /callbacks/flush            wait until nothing is pending (?timeout=, ?api_key=)
    GET    /callbacks/{id}             one delivery with every attempt
    POST   /callbacks/{id}/redeliver   send it again as a new delivery: 202 {"id", ...}
"""

from __future__ import annotations

import json
import math
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from emulator.core.control_tenant import named_tenant
from emulator.core.errors import ControlError
from emulator.core.outbox import FAIL_MODES, STATUSES, FailureSwitch, Outbox, iso_time
from emulator.core.runtime import runtime

DEFAULT_FLUSH_TIMEOUT: Final = 30.0
MAX_FLUSH_TIMEOUT: Final = 600.0


def _outbox(request: Request) -> Outbox:
    return runtime(request).outbox


def _optional(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    if value == "":
        raise ControlError(f"{name} must not be empty; omit it to match everything")
    return value


def _limit(raw: str | None, name: str = "limit") -> int | None:
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ControlError(f"{name} must be an integer") from None
    if value < 0:
        raise ControlError(f"{name} must not be negative")
    return value


async def list_callbacks(request: Request) -> Response:
    """Oldest first. ``limit`` keeps the newest N, after skipping the newest ``offset``
    (page back through a long log); ``brief=true`` leaves out headers and bodies."""
    outbox = _outbox(request)
    status = _optional(request, "status")
    if status is not None and status not in STATUSES:
        raise ControlError(f"status must be one of {', '.join(STATUSES)}")
    api_key = named_tenant(request)
    limit = _limit(request.query_params.get("limit"), "limit")
    offset = _limit(request.query_params.get("offset"), "offset") or 0
    brief = request.query_params.get("brief", "false").lower() in ("1", "true", "yes")
    found = outbox.deliveries(
        api_key=api_key,
        session_id=_optional(request, "session_id"),
        user_id=_optional(request, "user_id"),
        event=_optional(request, "event"),
        status=status,
    )
    total = len(found)
    end = max(total - offset, 0)
    found = found[max(end - limit, 0) : end] if limit else found[:end]
    return JSONResponse(
        {
            "capacity": outbox.log.capacity,
            "count": len(found),
            "total": total,
            "summary": outbox.summary(api_key),
            "callbacks": [d.to_json(iso_time, brief=brief) for d in found],
        }
    )


async def clear_callbacks(request: Request) -> Response:
    cleared = _outbox(request).clear(named_tenant(request))
    return JSONResponse({"cleared": cleared})


async def get_callback(request: Request) -> Response:
    delivery_id = request.path_params["delivery_id"]
    delivery = _outbox(request).get(delivery_id)
    if delivery is None:
        raise ControlError(
            f"no callback delivery {delivery_id!r} in the log",
            status_code=404,
            error_code="not_found",
        )
    return JSONResponse(delivery.to_json(iso_time))


async def redeliver_callback(request: Request) -> Response:
    delivery_id = request.path_params["delivery_id"]
    try:
        copy = _outbox(request).redeliver(delivery_id)
    except KeyError:
        raise ControlError(
            f"no callback delivery {delivery_id!r} in the log",
            status_code=404,
            error_code="not_found",
        ) from None
    return JSONResponse(
        {"id": copy.id, "redelivery_of": delivery_id, "status": copy.status}, status_code=202
    )


async def get_failures(request: Request) -> Response:
    return JSONResponse({"switches": [s.to_json() for s in _outbox(request).failure_switches()]})


async def put_failures(request: Request) -> Response:
    outbox = _outbox(request)
    body = await _json_object(request)
    unknown = set(body) - {"mode", "remaining", "api_key", "event"}
    if unknown:
        raise ControlError(f"unknown fields: {', '.join(sorted(unknown))}")
    mode = body.get("mode")
    api_key = named_tenant(request, body)
    if mode == "off":
        outbox.clear_failure_switch(api_key)
        return JSONResponse({"switch": None, "api_key": api_key})
    if mode not in FAIL_MODES:
        raise ControlError(f"mode must be one of off, {', '.join(FAIL_MODES)}")
    remaining = body.get("remaining")
    if remaining is not None and (
        isinstance(remaining, bool) or not isinstance(remaining, int) or remaining < 1
    ):
        raise ControlError("remaining must be a positive integer, or null for no limit")
    switch = outbox.set_failure_switch(
        FailureSwitch(
            mode=mode, remaining=remaining, api_key=api_key, event=_nullable_str(body, "event")
        )
    )
    return JSONResponse({"switch": switch.to_json()})


async def delete_failures(request: Request) -> Response:
    api_key = named_tenant(request)
    removed = _outbox(request).clear_failure_switch(api_key)
    return JSONResponse({"removed": removed, "api_key": api_key})


async def flush_callbacks(request: Request) -> Response:
    outbox = _outbox(request)
    raw = request.query_params.get("timeout")
    timeout = DEFAULT_FLUSH_TIMEOUT
    if raw is not None:
        try:
            timeout = float(raw)
        except ValueError:
            raise ControlError("timeout must be a number of seconds") from None
        if not math.isfinite(timeout) or not 0 <= timeout <= MAX_FLUSH_TIMEOUT:
            raise ControlError(f"timeout must be between 0 and {MAX_FLUSH_TIMEOUT:g} seconds")
    api_key = named_tenant(request)
    if not await outbox.flush(timeout, api_key=api_key):
        pending = outbox.pending(api_key)
        raise ControlError(
            f"{pending} callback deliveries still pending after {timeout:g} s",
            status_code=504,
            error_code="flush_timeout",
        )
    return JSONResponse({"idle": True, "pending": 0, "summary": outbox.summary(api_key)})


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"null")
    except ValueError:
        raise ControlError("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise ControlError("the body must be a JSON object")
    return body


def _nullable_str(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ControlError(f"{name} must be a non-empty string or null")
    return value


# Literal paths first: /callbacks/failures and /callbacks/flush are not delivery ids.
routes: list[BaseRoute] = [
    Route("/callbacks", list_callbacks, methods=["GET"]),
    Route("/callbacks", clear_callbacks, methods=["DELETE"]),
    Route("/callbacks/failures", get_failures, methods=["GET"]),
    Route("/callbacks/failures", put_failures, methods=["PUT"]),
    Route("/callbacks/failures", delete_failures, methods=["DELETE"]),
    Route("/callbacks/flush", flush_callbacks, methods=["POST"]),
    Route("/callbacks/{delivery_id}", get_callback, methods=["GET"]),
    Route("/callbacks/{delivery_id}/redeliver", redeliver_callback, methods=["POST"]),
]
