"""The emulator's own API under ``/_emulator``: health, reset, journal, scenarios.

No vendor uses this prefix. Bodies are JSON; errors are ``{"error", "message"}``.
"""

from __future__ import annotations

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
    return JSONResponse({"scenarios": found})


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
]
