"""The emulator's own API under ``/_emulator``: health, reset, journal, scenarios,
tenants and state snapshots.

No vendor uses this prefix. State snapshots (``GET``/``PUT /state``) live in
``control.state``. Bodies are JSON; errors are ``{"error", "message"}``. The
tenant an endpoint acts on is named by ``X-API-Key`` (``?api_key=`` is the older alias,
``emulator.core.control_tenant``).
The clock, progression and advance endpoints live in ``control_time``, the fault
rules in ``control_faults``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from emulator import __version__
from emulator.control.params import flag, int_param
from emulator.core.control_tenant import named_tenant
from emulator.core.errors import ControlError
from emulator.core.routing import route_table
from emulator.core.runtime import runtime
from emulator.core.secrets import mask, masked


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
    api_key = named_tenant(request)
    runtime(request).reset(api_key)
    return JSONResponse(
        {"reset": "all" if api_key is None else "tenant", "api_key": masked(api_key)}
    )


def _render_time(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


_STATUS_PATTERN = re.compile(r"[1-5xX][0-9xX]{2}")


async def list_requests(request: Request) -> Response:
    """The journal, oldest first; ``after`` (an id) keeps only newer entries, so a live
    tail asks for what is new; ``detail=true`` adds headers and body summaries."""
    rt = runtime(request)
    q = request.query_params
    limit = int_param(q.get("limit"), "limit")
    after = int_param(q.get("after"), "after")
    faulted = q.get("faulted")
    status = q.get("status")
    if status is not None and not _STATUS_PATTERN.fullmatch(status):
        raise ControlError("status must be a status code (404) or a class (4xx)")
    entries = rt.journal.query(
        method=q.get("method"),
        path_prefix=q.get("path_prefix"),
        api_key=named_tenant(request),
        vendor=q.get("vendor"),
        faulted=None if faulted is None else flag(faulted, "faulted"),
        status=status,
        after=after,
        limit=limit,
    )
    detail = flag(q.get("detail", "false"), "detail")
    return JSONResponse(
        {
            "capacity": rt.journal.size,
            "count": len(entries),
            "last_id": rt.journal.last_id,
            "requests": [
                e.detail_json(_render_time) if detail else e.to_json(_render_time) for e in entries
            ],
        }
    )


async def get_request(request: Request) -> Response:
    """One journal entry with its headers and body summary (credentials masked)."""
    raw = request.path_params["entry_id"]
    entry_id = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else None
    entry = None if entry_id is None else runtime(request).journal.get(entry_id)
    if entry is None:
        raise ControlError(
            f"no journal entry {raw!r} (it may have fallen off the ring)",
            status_code=404,
            error_code="not_found",
        )
    return JSONResponse(entry.detail_json(_render_time))


async def clear_requests(request: Request) -> Response:
    cleared = runtime(request).journal.clear(named_tenant(request))
    return JSONResponse({"cleared": cleared})


async def list_scenarios(request: Request) -> Response:
    rt = runtime(request)
    found: list[dict[str, Any]] = []
    for vendor in rt.vendors:
        found.extend({"api": vendor.name, **s} for s in vendor.scenarios())
    found.extend(_CONTROL_SCENARIOS)
    return JSONResponse({"scenarios": found})


# The vendor-independent controls, listed with the vendors' so one GET shows every knob;
# every /_emulator endpoint appears in some example (tests/control/test_contract.py checks it).
_CONTROL_SCENARIOS: list[dict[str, Any]] = [
    {
        "api": "emulator",
        "name": "fault-injection",
        "kind": "control",
        "description": (
            "Seeded, per-key faults on vendor requests: latency (fixed or a distribution), "
            "a vendor-shaped error, 429/503 with Retry-After, or a dropped connection; "
            "marked in the journal. GET lists the rules with their counters; DELETE clears "
            "them (all, ?api_key=, or one by id)."
        ),
        "example": (
            'PUT /_emulator/faults [{"path": "/v2/*", "action": "throttle", "status": 503, '
            '"retry_after": 5, "probability": 0.2}]\n'
            'POST /_emulator/faults {"id": "slow", "latency_ms": 250}\n'
            "GET /_emulator/faults\n"
            "GET /_emulator/faults/slow\n"
            "DELETE /_emulator/faults/slow\n"
            "DELETE /_emulator/faults?api_key=job-17"
        ),
    },
    {
        "api": "emulator",
        "name": "virtual-clock",
        "kind": "control",
        "description": (
            "Freeze, set or advance the clock behind every timestamp and timer "
            "(between 1970-01-01 and 9000-01-01 UTC)."
        ),
        "example": (
            'POST /_emulator/clock {"freeze": true, "set": "2025-01-15T02:50:29Z"}\n'
            "GET /_emulator/clock"
        ),
    },
    {
        "api": "emulator",
        "name": "progression",
        "kind": "control",
        "description": (
            "How asynchronous work finishes (immediate, after N polls, after T virtual "
            "seconds, manual); POST /_emulator/advance finishes pending work now."
        ),
        "example": (
            'PUT /_emulator/progression {"kintsugi": {"mode": "manual"}}\n'
            "GET /_emulator/progression\n"
            "POST /_emulator/advance?api=kintsugi&api_key=my-key"
        ),
    },
    {
        "api": "emulator",
        "name": "snapshots",
        "kind": "control",
        "description": "Save the world (or one key's part of it) as JSON and load it back.",
        "example": (
            "GET /_emulator/state?api_key=my-key, then PUT /_emulator/state?api_key=my-key "
            "with that document"
        ),
    },
    {
        "api": "emulator",
        "name": "reset",
        "kind": "control",
        "description": (
            "Back to start-up: all state, journal, faults, policies and the clock; with "
            "?api_key= only that key's state, journal entries and faults."
        ),
        "example": "POST /_emulator/reset?api_key=my-key",
    },
    {
        "api": "emulator",
        "name": "request-journal",
        "kind": "control",
        "description": (
            "Every vendor request with status, duration, key and injected fault, oldest "
            "first; filters method, path_prefix, api_key, vendor, faulted, status (404 or "
            "4xx), after (an id: only newer ones), limit; detail=true adds the headers and "
            "body summaries (credentials masked), as GET /_emulator/requests/{id} does."
        ),
        "example": (
            "GET /_emulator/requests?vendor=kintsugi&faulted=true&limit=20\n"
            "GET /_emulator/requests?after=120&status=4xx&detail=true\n"
            "GET /_emulator/requests/121\n"
            "DELETE /_emulator/requests?api_key=my-key"
        ),
    },
    {
        "api": "emulator",
        "name": "callback-log",
        "kind": "control",
        "description": (
            "Every webhook delivery with its attempts (filters api_key, session_id, "
            "user_id, event, status, limit); wait until none is pending; send one again; "
            "forget finished ones; see or switch off the failure switches."
        ),
        "example": (
            "GET /_emulator/callbacks?event=SESSION_COMPLETE\n"
            "POST /_emulator/callbacks/flush?timeout=10\n"
            "GET /_emulator/callbacks/d-1\n"
            "POST /_emulator/callbacks/d-1/redeliver\n"
            "DELETE /_emulator/callbacks\n"
            "GET /_emulator/callbacks/failures\n"
            "DELETE /_emulator/callbacks/failures?api_key=my-key"
        ),
    },
    {
        "api": "emulator",
        "name": "demo-data",
        "kind": "control",
        "description": (
            "Replace a key's state with the demo data set: Asleep users with weeks of "
            "COMPLETE nights (good_sleeper, insomnia, severe_unstable_breathing, "
            "heavy_snorer, normal with a gap and a nap too short to analyse, never_slept) "
            "and their webhook history, and Kintsugi patients with predictions of every "
            "outcome and feedback. Also --demo at start-up (key demo-key). The demo's "
            "webhooks go to the emulator's own receiver, which answers 200 or ?status=."
        ),
        "example": (
            "POST /_emulator/demo?api_key=demo-key\nPOST /_emulator/demo/receiver?status=503"
        ),
    },
    {
        "api": "emulator",
        "name": "openapi",
        "kind": "control",
        "description": (
            "The OpenAPI 3.1 document of every vendor endpoint served and of this API; "
            "with response validation on (EMULATOR_VALIDATE_RESPONSES=1) every answer "
            "is checked against it and violations are listed."
        ),
        "example": "GET /_emulator/openapi.json\nGET /_emulator/contract",
    },
    {
        "api": "emulator",
        "name": "control-access",
        "kind": "control",
        "description": (
            "With --control-token (EMULATOR_CONTROL_TOKEN) every /_emulator call but health "
            "needs Authorization: Bearer <token>; the inspector logs in once and gets a "
            "session cookie. With a tenant config a tenant's own X-API-Key may make the "
            "tenant-scoped calls on its own data (docs/security.md)."
        ),
        "example": (
            "GET /_emulator/requests with Authorization: Bearer <token>\n"
            "GET /_emulator/login (the form)\n"
            'POST /_emulator/login {"token": "<token>"}\n'
            "POST /_emulator/logout"
        ),
    },
    {
        "api": "emulator",
        "name": "introspection",
        "kind": "control",
        "description": (
            "Health, the configured keys and plans, the keys holding state with their "
            "counts and the clock (overview), and this list."
        ),
        "example": (
            "GET /_emulator/health\nGET /_emulator/tenants\nGET /_emulator/overview?limit=100\n"
            "GET /_emulator/scenarios"
        ),
    },
]


async def list_tenants(request: Request) -> Response:
    """The configured keys and plans, or, without a config file, what any key gets."""
    tenants = runtime(request).tenants
    if tenants.open:
        return JSONResponse({"open": True, "defaults": tenants.defaults()})
    listed = [{**t.to_json(), "api_key": mask(t.api_key)} for t in tenants.listed()]
    return JSONResponse({"open": False, "tenants": listed})


# The virtual clock stays where every time derived from it (ids, 24-hour caps, 48-hour
# ends, 100-day periods) is still a representable datetime: a far-future instant made
# `clock.now()` raise and every later request answer 500 (found by schemathesis).
CLOCK_MIN = 0.0  # 1970-01-01T00:00:00Z
CLOCK_MAX = 221845392000.0  # 9000-01-01T00:00:00Z


def check_clock_range(timestamp: float) -> None:
    """400 unless ``timestamp`` is a clock position the emulator can live with."""
    if not CLOCK_MIN <= timestamp < CLOCK_MAX:
        raise ControlError(
            "the clock must stay between 1970-01-01T00:00:00Z and 9000-01-01T00:00:00Z"
        )


routes: list[BaseRoute] = route_table(
    {
        "/health": {"GET": health},
        "/reset": {"POST": reset},
        "/requests": {"GET": list_requests, "DELETE": clear_requests},
        "/requests/{entry_id}": {"GET": get_request},
        "/scenarios": {"GET": list_scenarios},
        "/tenants": {"GET": list_tenants},
    }
)
