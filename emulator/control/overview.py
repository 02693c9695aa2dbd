"""``GET /_emulator/overview``: which API keys hold what, and the clock, in one call.

What a dashboard (the inspector's home page) or a person new to a shared emulator asks
first. The counts come from each vendor's ``Vendor.summary``; a key appears when it is
configured (``--config``) or holds something. Keys are listed configured first, then
in name order, a page at a time (``limit``, ``offset``).
"""

from __future__ import annotations

from typing import Any, Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from emulator import __version__
from emulator.core.errors import ControlError
from emulator.core.runtime import Runtime, runtime

DEFAULT_LIMIT: Final = 100
MAX_LIMIT: Final = 1000


def tenant_counts(rt: Runtime) -> list[dict[str, Any]]:
    """Every key worth showing, with its counts per vendor."""
    configured = [] if rt.tenants.open else [t.api_key for t in rt.tenants.listed()]
    with_state = set(rt.store.tenants())
    found: list[dict[str, Any]] = []
    for key in dict.fromkeys([*configured, *sorted(with_state)]):
        counts = {v.name: (v.summary(rt, key) if key in with_state else {}) for v in rt.vendors}
        is_configured = key in configured
        if not is_configured and not any(n for c in counts.values() for n in c.values()):
            continue  # a namespace some read touched, holding nothing
        # The key itself, unlike every other listing: the inspector's tenant picker names
        # the tenant with it (a fingerprint cannot travel in a header). A global call:
        # with a control token it is the token holder's alone (docs/security.md).
        found.append({"api_key": key, "configured": is_configured, "counts": counts})
    return found


def _bounded(raw: str | None, name: str, default: int, low: int, top: int) -> int:
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10 or not low <= int(raw) <= top:
        raise ControlError(f"{name} must be an integer from {low} to {top}")
    return int(raw)


async def overview(request: Request) -> Response:
    rt = runtime(request)
    q = request.query_params
    limit = _bounded(q.get("limit"), "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = _bounded(q.get("offset"), "offset", 0, 0, 10**9)
    tenants = tenant_counts(rt)
    return JSONResponse(
        {
            "version": __version__,
            "seed": rt.store.seed,
            "clock": rt.clock.state().to_json(),
            "open": rt.tenants.open,
            "vendors": [{"name": v.name, "title": v.title} for v in rt.vendors],
            "total": len(tenants),
            "offset": offset,
            "limit": limit,
            "tenants": tenants[offset : offset + limit],
        }
    )


routes: list[BaseRoute] = [Route("/overview", overview, methods=["GET"])]
