"""The emulator's own API under ``/_emulator``: health, reset, journal, scenarios,
tenants and state snapshots.

No vendor uses this prefix. Bodies are JSON; errors are ``{"error", "message"}``.
The clock, progression and advance endpoints live in ``control_time``, the fault
rules in ``control_faults``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from emulator import __version__
from emulator.errors import ControlError
from emulator.runtime import runtime


async def health(request: Request) -> Response:
    rt = runtime(request)
    return JSONResponse(
        {
            "status": "ok",
            "version": __version__,
            "apis": [
                {"name": v.name, "title": v.title, "prefixes": list(v.prefixes)} for v in rt.vendors
            ],
            "seed": rt.store.seed,
            "now": rt.clock.now().isoformat(),
        }
    )


async def reset(request: Request) -> Response:
    api_key = request.query_params.get("api_key")
    if api_key == "":
        raise ControlError("api_key must not be empty; omit it to reset everything")
    runtime(request).reset(api_key)
    return JSONResponse({"reset": "all" if api_key is None else "tenant", "api_key": api_key})


def _render_time(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


async def list_requests(request: Request) -> Response:
    rt = runtime(request)
    q = request.query_params
    limit = _int_param(q.get("limit"), "limit")
    faulted = q.get("faulted")
    entries = rt.journal.query(
        method=q.get("method"),
        path_prefix=q.get("path_prefix"),
        api_key=q.get("api_key"),
        vendor=q.get("vendor"),
        faulted=None if faulted is None else faulted.lower() in ("1", "true", "yes"),
        limit=limit,
    )
    return JSONResponse(
        {
            "capacity": rt.journal.size,
            "count": len(entries),
            "requests": [e.to_json(_render_time) for e in entries],
        }
    )


async def clear_requests(request: Request) -> Response:
    cleared = runtime(request).journal.clear(request.query_params.get("api_key"))
    return JSONResponse({"cleared": cleared})


async def list_scenarios(request: Request) -> Response:
    rt = runtime(request)
    found: list[dict[str, Any]] = []
    for vendor in rt.vendors:
        found.extend({"api": vendor.name, **s} for s in vendor.scenarios())
    found.extend(rt.extras.get("scenarios", []))
    found.extend(_CONTROL_SCENARIOS)
    return JSONResponse({"scenarios": found})


# The vendor-independent controls, listed with the vendors' so one GET shows every knob.
_CONTROL_SCENARIOS: list[dict[str, Any]] = [
    {
        "api": "emulator",
        "name": "fault-injection",
        "kind": "control",
        "description": (
            "Seeded, per-key faults on vendor requests: latency (fixed or a distribution), "
            "a vendor-shaped error, 429/503 with Retry-After, or a dropped connection; "
            "marked in the journal."
        ),
        "example": (
            'PUT /_emulator/faults [{"path": "/v2/*", "action": "throttle", "status": 503, '
            '"retry_after": 5, "probability": 0.2}]'
        ),
    },
    {
        "api": "emulator",
        "name": "virtual-clock",
        "kind": "control",
        "description": "Freeze, set or advance the clock behind every timestamp and timer.",
        "example": 'POST /_emulator/clock {"freeze": true, "set": "2025-01-15T02:50:29Z"}',
    },
    {
        "api": "emulator",
        "name": "progression",
        "kind": "control",
        "description": (
            "How asynchronous work finishes (immediate, after N polls, after T virtual "
            "seconds, manual); POST /_emulator/advance finishes pending work now."
        ),
        "example": 'PUT /_emulator/progression {"kintsugi": {"mode": "manual"}}',
    },
    {
        "api": "emulator",
        "name": "snapshots",
        "kind": "control",
        "description": "Save the world (or one key's part of it) as JSON and load it back.",
        "example": "GET /_emulator/state, then PUT /_emulator/state with that document",
    },
]


async def list_tenants(request: Request) -> Response:
    """The configured keys and plans, or, without a config file, what any key gets."""
    tenants = runtime(request).tenants
    if tenants.open:
        # Tenants exposes no accessor for the plan an unlisted key gets in open mode.
        plan = tenants._default_plan.to_json()
        return JSONResponse({"open": True, "default_plan": plan})
    return JSONResponse({"open": False, "tenants": [t.to_json() for t in tenants.listed()]})


async def get_state(request: Request) -> Response:
    api_key = _api_key_param(request)
    return JSONResponse(runtime(request).snapshot(api_key))


async def put_state(request: Request) -> Response:
    api_key = _api_key_param(request)
    document = await json_body(request)
    rt = runtime(request)
    try:
        rt.restore(document, api_key)
    except ValueError as exc:
        raise ControlError(f"state document rejected: {exc}") from None
    restored = rt.store.snapshot(api_key)["tenants"]
    return JSONResponse(
        {
            "restored": "all" if api_key is None else "tenant",
            "api_key": api_key,
            "tenants": sorted(restored),
            "rows": sum(len(rows) for tables in restored.values() for rows in tables.values()),
            "seed": rt.store.seed,
        }
    )


async def json_body(request: Request) -> Any:
    """The request's JSON body, or a 400 control error saying why it is not."""
    raw = await request.body()
    if not raw.strip():
        raise ControlError("this endpoint needs a JSON body")
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ControlError(f"body is not valid JSON: {exc}") from None


def _api_key_param(request: Request) -> str | None:
    api_key = request.query_params.get("api_key")
    if api_key == "":
        raise ControlError("api_key must not be empty; omit it to address every tenant")
    return api_key


def _int_param(raw: str | None, name: str) -> int | None:
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ControlError(f"{name} must be an integer") from None
    if value < 0:
        raise ControlError(f"{name} must not be negative")
    return value


routes: list[BaseRoute] = [
    Route("/health", health, methods=["GET"]),
    Route("/reset", reset, methods=["POST"]),
    Route("/requests", list_requests, methods=["GET"]),
    Route("/requests", clear_requests, methods=["DELETE"]),
    Route("/scenarios", list_scenarios, methods=["GET"]),
    Route("/tenants", list_tenants, methods=["GET"]),
    Route("/state", get_state, methods=["GET"]),
    Route("/state", put_state, methods=["PUT"]),
]
