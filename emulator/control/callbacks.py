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

A tenant named (X-API-Key, or ``?api_key=``) scopes every call to its deliveries and
switch (one delivery is found only if it is its); that is how a tenant's own key uses
them. Keys show as masked fingerprints, the header ``x-api-key`` of a delivery too. A
delivery's ``response_excerpt`` (what the receiver answered) is shown only to its own
tenant (a request naming its key itself, in X-API-Key or ``?api_key=``; not by its
fingerprint) or to the holder of the control token: a callback URL may point anywhere,
and the excerpt must not turn the emulator into a reflecting proxy.
"""

from __future__ import annotations

import math
from itertools import chain
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from emulator.control.access import caller_of
from emulator.control.params import flag, int_param, json_body
from emulator.core.control_tenant import named_tenant
from emulator.core.errors import ControlError
from emulator.core.headers import header
from emulator.core.outbox import (
    FAIL_MODES,
    STATUSES,
    Delivery,
    DeliveryJson,
    FailureSwitch,
    Outbox,
    iso_time,
)
from emulator.core.routing import route_table
from emulator.core.runtime import runtime
from emulator.core.secrets import (
    SECRET_HEADERS,
    is_masked,
    key_matches,
    mask,
    mask_header,
    masked,
    resolve,
)

DEFAULT_FLUSH_TIMEOUT: Final = 30.0
MAX_FLUSH_TIMEOUT: Final = 600.0


def _outbox(request: Request) -> Outbox:
    return runtime(request).outbox


def _optional(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    if value == "":
        raise ControlError(f"{name} must not be empty; omit it to match everything")
    return value


def _key(request: Request, outbox: Outbox) -> str | None:
    """The tenant the request names (core.control_tenant), a masked fingerprint
    resolved to its key."""
    return _resolved(outbox, named_tenant(request))


def _resolved(outbox: Outbox, found: str | None) -> str | None:
    """``found``, or the key its masked fingerprint belongs to among the deliveries and
    switches. Only a fingerprint reads the log (with a shared world, a Redis read of
    every delivery): a plain key, the usual case, is returned as it is."""
    if found is None or not is_masked(found):
        return found
    switches = (s.api_key for s in outbox.failure_switches())
    return resolve(found, chain((d.api_key for d in outbox.log.values()), switches))


def _view(request: Request, delivery: Delivery, *, brief: bool = False) -> DeliveryJson:
    """A delivery as shown: keys masked, the receiver's answer only for its tenant."""
    out = delivery.to_json(iso_time, brief=brief)
    out["api_key"] = mask(delivery.api_key)
    if "headers" in out:
        out["headers"] = {
            name: mask_header(name, value) if name.lower() in SECRET_HEADERS else value
            for name, value in delivery.headers.items()
        }
    if not _reveals(request, delivery):
        for attempt in out["attempts"]:
            if attempt.get("response_excerpt") is not None:
                attempt["response_excerpt"] = None
                attempt["response_excerpt_hidden"] = True
    return out


def _reveals(request: Request, delivery: Delivery) -> bool:
    """Whether this caller may read what the receiver answered: the token holder, or a
    request that names the delivery's key itself (knowing the key is the proof; its
    masked fingerprint, which any listing shows, is not)."""
    caller = caller_of(request)
    if caller.operator and caller.authenticated:
        return True
    named = (header(request.scope, b"x-api-key"), request.query_params.get("api_key"))
    return delivery.api_key in named


def _found(request: Request, delivery_id: str) -> Delivery:
    """The delivery, if ``?api_key=`` (when given) is its tenant; else a 404."""
    delivery = _outbox(request).get(delivery_id)
    scope = named_tenant(request)
    if delivery is None or (scope is not None and not key_matches(delivery.api_key, scope)):
        raise ControlError(
            f"no callback delivery {delivery_id!r} in the log",
            status_code=404,
            error_code="not_found",
        )
    return delivery


def _switch(switch: FailureSwitch | None) -> dict[str, Any] | None:
    if switch is None:
        return None
    return {**switch.to_json(), "api_key": masked(switch.api_key)}


async def list_callbacks(request: Request) -> Response:
    """Oldest first. ``limit`` keeps the newest N, after skipping the newest ``offset``
    (page back through a long log); ``brief=true`` leaves out headers and bodies."""
    outbox = _outbox(request)
    status = _optional(request, "status")
    if status is not None and status not in STATUSES:
        raise ControlError(f"status must be one of {', '.join(STATUSES)}")
    api_key = _key(request, outbox)
    limit = int_param(request.query_params.get("limit"), "limit")
    offset = int_param(request.query_params.get("offset"), "offset") or 0
    brief = flag(request.query_params.get("brief", "false"), "brief")
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
            "callbacks": [_view(request, d, brief=brief) for d in found],
        }
    )


async def clear_callbacks(request: Request) -> Response:
    outbox = _outbox(request)
    cleared = outbox.clear(_key(request, outbox))
    return JSONResponse({"cleared": cleared})


async def get_callback(request: Request) -> Response:
    delivery = _found(request, request.path_params["delivery_id"])
    return JSONResponse(_view(request, delivery))


async def redeliver_callback(request: Request) -> Response:
    delivery_id = _found(request, request.path_params["delivery_id"]).id
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
    outbox = _outbox(request)
    scope = _key(request, outbox)
    switches = [s for s in outbox.failure_switches() if scope is None or s.api_key == scope]
    return JSONResponse({"switches": [_switch(s) for s in switches]})


async def put_failures(request: Request) -> Response:
    outbox = _outbox(request)
    body = await _json_object(request)
    unknown = set(body) - {"mode", "remaining", "api_key", "event"}
    if unknown:
        raise ControlError(f"unknown fields: {', '.join(sorted(unknown))}")
    mode = body.get("mode")
    api_key = _resolved(_outbox(request), named_tenant(request, body))
    event = _nullable_str(body, "event")
    remaining = body.get("remaining")
    if isinstance(remaining, float) and remaining.is_integer():
        remaining = int(remaining)  # JSON has one number type: 2.0 is the integer 2
    if remaining is not None and (
        isinstance(remaining, bool) or not isinstance(remaining, int) or remaining < 1
    ):
        raise ControlError("remaining must be a positive integer, or null for no limit")
    if mode == "off":
        outbox.clear_failure_switch(api_key)
        return JSONResponse({"switch": None, "api_key": masked(api_key)})
    if mode not in FAIL_MODES:
        raise ControlError(f"mode must be one of off, {', '.join(FAIL_MODES)}")
    switch = outbox.set_failure_switch(
        FailureSwitch(mode=mode, remaining=remaining, api_key=api_key, event=event)
    )
    return JSONResponse({"switch": _switch(switch)})


async def delete_failures(request: Request) -> Response:
    outbox = _outbox(request)
    api_key = _key(request, outbox)
    removed = outbox.clear_failure_switch(api_key)
    return JSONResponse({"removed": removed, "api_key": masked(api_key)})


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
    api_key = _key(request, outbox)
    if not await outbox.flush(timeout, api_key=api_key):
        pending = outbox.pending(api_key)
        raise ControlError(
            f"{pending} callback deliveries still pending after {timeout:g} s",
            status_code=504,
            error_code="flush_timeout",
        )
    return JSONResponse({"idle": True, "pending": 0, "summary": outbox.summary(api_key)})


async def _json_object(request: Request) -> dict[str, Any]:
    body = await json_body(request)
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
routes: list[BaseRoute] = route_table(
    {
        "/callbacks": {"GET": list_callbacks, "DELETE": clear_callbacks},
        "/callbacks/failures": {
            "GET": get_failures,
            "PUT": put_failures,
            "DELETE": delete_failures,
        },
        "/callbacks/flush": {"POST": flush_callbacks},
        "/callbacks/{delivery_id}": {"GET": get_callback},
        "/callbacks/{delivery_id}/redeliver": {"POST": redeliver_callback},
    }
)
