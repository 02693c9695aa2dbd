"""Control endpoints for time and asynchronous work: the clock, progression, advance.

* ``GET/POST /_emulator/clock`` - read, freeze, resume, set, advance the virtual clock
  (MockServer's clock control and Stripe's test clocks, anchors.md §2, §4 item 3);
* ``GET/PUT /_emulator/progression`` - how each vendor's asynchronous work finishes
  (moto's state-transition modes, made per vendor: ``lifecycle.ProgressionPolicy``);
* ``POST /_emulator/advance`` - finish pending work now, through the advancers the
  vendors register on ``Runtime.advancers``.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from emulator.control.endpoints import check_clock_range
from emulator.control.params import json_body
from emulator.core.clock import parse_instant
from emulator.core.control_tenant import named_tenant
from emulator.core.errors import ControlError
from emulator.core.lifecycle import MODES, ProgressionPolicy
from emulator.core.routing import route_table
from emulator.core.runtime import Runtime, runtime
from emulator.core.secrets import masked

_CLOCK_KEYS = ("freeze", "resume", "set", "advance")
# The most one advance may move the clock (the document says so too, control/spec.py).
MAX_ADVANCE_SECONDS = 3_000_000_000.0


async def get_clock(request: Request) -> Response:
    return JSONResponse(runtime(request).clock.state().to_json())


async def change_clock(request: Request) -> Response:
    """Apply ``freeze``, ``set``, ``advance``, ``resume`` - in that order - from one body.

    The order makes combinations mean what they say: ``{"freeze": true, "set": T}``
    stops at exactly T; ``{"set": T, "resume": true}`` runs on from T.
    """
    body = await json_body(request)
    if not isinstance(body, dict) or not body:
        raise ControlError(f"clock body is an object with any of {', '.join(_CLOCK_KEYS)}")
    unknown = sorted(set(body) - set(_CLOCK_KEYS))
    if unknown:
        raise ControlError(
            f"unknown clock field(s) {', '.join(unknown)}; use {', '.join(_CLOCK_KEYS)}"
        )
    freeze, resume = _flag(body, "freeze"), _flag(body, "resume")
    if freeze and resume:
        raise ControlError("freeze and resume contradict each other")
    instant = None
    if "set" in body:
        if not isinstance(body["set"], str):
            raise ControlError('set takes an ISO 8601 instant, e.g. "2025-01-15T02:50:29Z"')
        try:
            instant = parse_instant(body["set"])
        except ValueError:
            raise ControlError(f"set: not an ISO 8601 instant: {body['set']!r}") from None
    seconds = None
    if "advance" in body:
        seconds = body["advance"]
        if (
            not isinstance(seconds, int | float)
            or isinstance(seconds, bool)
            or not math.isfinite(seconds)
            or not 0 <= seconds <= MAX_ADVANCE_SECONDS
        ):
            raise ControlError(
                f"advance takes a number of seconds from 0 (no going back) to "
                f"{MAX_ADVANCE_SECONDS:.0f} (95 years) at a time"
            )
    rt = runtime(request)
    target = instant.timestamp() if instant is not None else rt.clock.timestamp()
    target += float(seconds or 0)
    check_clock_range(target)
    if freeze:
        rt.clock.freeze()
    if instant is not None:
        rt.clock.set(instant)
    if seconds is not None:
        rt.clock.advance(float(seconds))
    if resume:
        rt.clock.resume()
    rt.clock_changed()
    return JSONResponse(rt.clock.state().to_json())


def _flag(body: dict[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise ControlError(f"{name} must be true or false")
    return value


async def get_progression(request: Request) -> Response:
    return JSONResponse(_progressions(runtime(request)))


async def put_progression(request: Request) -> Response:
    """Change some vendors' policies; fields left out keep their current value."""
    rt = runtime(request)
    body = await json_body(request)
    current = rt.progressions()
    if not isinstance(body, dict) or not body:
        raise ControlError(
            'progression body is e.g. {"kintsugi": {"mode": "manual"}} with any of '
            + ", ".join(sorted(current))
        )
    updated: dict[str, ProgressionPolicy] = {}
    for vendor, change in body.items():
        if vendor not in current:
            raise ControlError(f"no progression for {vendor!r}; use {', '.join(sorted(current))}")
        updated[vendor] = _policy(vendor, current[vendor], change)
    for vendor, policy in updated.items():
        rt.set_progression(vendor, policy)
    return JSONResponse(_progressions(rt))


def _policy(vendor: str, base: ProgressionPolicy, change: Any) -> ProgressionPolicy:
    if not isinstance(change, dict):
        raise ControlError(f"{vendor} takes an object with mode, polls, seconds")
    unknown = sorted(set(change) - {"mode", "polls", "seconds"})
    if unknown:
        raise ControlError(f"{vendor}: unknown field(s) {', '.join(unknown)}")
    if "mode" in change and change["mode"] not in MODES:
        raise ControlError(f"{vendor}.mode must be one of {', '.join(MODES)}")
    polls = change.get("polls", base.polls)
    if isinstance(polls, float) and polls.is_integer():
        polls = int(polls)  # JSON has one number type: 2.0 is the integer 2
    if not isinstance(polls, int) or isinstance(polls, bool) or polls < 0:
        raise ControlError(f"{vendor}.polls must be an integer, 0 or more")
    seconds = change.get("seconds", base.seconds)
    if (
        not isinstance(seconds, int | float)
        or isinstance(seconds, bool)
        or not math.isfinite(seconds)
        or seconds < 0
    ):
        raise ControlError(f"{vendor}.seconds must be a number, 0 or more")
    return replace(base, mode=change.get("mode", base.mode), polls=polls, seconds=float(seconds))


def _progressions(rt: Runtime) -> dict[str, Any]:
    return {vendor: policy.to_json() for vendor, policy in sorted(rt.progressions().items())}


async def advance(request: Request) -> Response:
    """Finish pending work now: ``?api=kintsugi|asleep&session_id=`` and the tenant
    (X-API-Key), all optional."""
    rt = runtime(request)
    q = request.query_params
    api, api_key, session_id = q.get("api"), named_tenant(request), q.get("session_id")
    for name, value in (("api", api), ("api_key", api_key), ("session_id", session_id)):
        if value == "":
            raise ControlError(f"{name} must not be empty; omit it to mean all")
    vendors = [v.name for v in rt.vendors]
    if api is not None and api not in vendors:
        raise ControlError(f"api must be one of {', '.join(vendors)}")
    if api is not None and api not in rt.advancers:
        raise ControlError(f"{api} has no asynchronous work to advance (no advancer registered)")
    targets = [api] if api is not None else sorted(rt.advancers)
    advanced = {name: rt.advancers[name](api_key, session_id) for name in targets}
    return JSONResponse(
        {
            "advanced": advanced,
            "total": sum(advanced.values()),
            "api_key": masked(api_key),
            "session_id": session_id,
        }
    )


routes: list[BaseRoute] = route_table(
    {
        "/clock": {"GET": get_clock, "POST": change_clock},
        "/progression": {"GET": get_progression, "PUT": put_progression},
        "/advance": {"POST": advance},
    }
)
