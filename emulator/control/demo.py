"""Demo data: every vendor's demo set for one API key, so every read endpoint shows something.

``load_demo(rt, api_key="demo-key")`` resets the key and asks each vendor for its demo
data (``Vendor.load_demo``: Asleep users with weeks of nights across the profiles and
their webhook history, Kintsugi patients with predictions of every outcome and
feedback). The data is a pure function of the seed and the virtual clock.

The demo's webhooks went to the emulator's own receiver, ``POST
/_emulator/demo/receiver`` (answers 200, or ``?status=`` what it is told), so a
redelivery from the inspector lands somewhere real.

Wiring: ``--demo`` (``Settings.demo``) loads it at start-up unless the key already
has state (a state file from an earlier run); ``POST /_emulator/demo`` loads it on
demand for the key named by X-API-Key (or ``?api_key=``; default demo-key).
"""

from __future__ import annotations

import logging
import time
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from emulator.core.control_tenant import named_tenant
from emulator.core.errors import ControlError
from emulator.core.runtime import Runtime, runtime
from emulator.core.secrets import mask

log = logging.getLogger("emulator.control.demo")

DEMO_API_KEY: Final = "demo-key"
RECEIVER_PATH: Final = "/_emulator/demo/receiver"
RECEIVER_STATUSES: Final = (200, 400, 404, 410, 429, 500, 502, 503, 504)


class DemoError(ValueError):
    """The demo data cannot be loaded for this key (e.g. not a configured key)."""


def load_demo(
    rt: Runtime, api_key: str = DEMO_API_KEY, *, base_url: str = "http://127.0.0.1:8080"
) -> dict[str, Any]:
    """Replace ``api_key``'s state with the demo data set; a summary of what was made.

    ``base_url``: where this emulator is reached (the demo's webhooks name its receiver).
    """
    tenant = rt.tenants.lookup(api_key)
    if tenant is None:
        raise DemoError(f"{mask(api_key)} is not a key of the tenant config")
    started = time.perf_counter()
    rt.reset(api_key)
    summary: dict[str, Any] = {"api_key": mask(api_key)}
    receiver = base_url.rstrip("/") + RECEIVER_PATH
    for vendor in rt.vendors:
        part = vendor.load_demo(rt, tenant.api_key, receiver)
        if part is not None:
            summary[vendor.name] = part
    seconds = time.perf_counter() - started
    log.info("demo data loaded for API key %s in %.2f s", mask(api_key), seconds)
    summary["seconds"] = round(seconds, 3)
    return summary


def has_state(rt: Runtime, api_key: str = DEMO_API_KEY) -> bool:
    """Whether the key already holds anything (then start-up does not overwrite it)."""
    return bool(rt.store.snapshot(api_key)["tenants"])


def install(rt: Runtime, base_url: str) -> None:
    """``--demo``: load at start-up, unless a state file already holds the key's data.

    ``base_url``: where the app will listen (the demo's webhooks name its receiver)."""

    async def load_on_startup() -> None:
        if has_state(rt):
            log.info("demo data not loaded: API key %s already has state", mask(DEMO_API_KEY))
            return
        load_demo(rt, base_url=base_url)

    rt.on_startup.append(load_on_startup)


async def post_demo(request: Request) -> Response:
    api_key = named_tenant(request) or DEMO_API_KEY
    try:
        summary = load_demo(runtime(request), api_key, base_url=str(request.base_url))
    except DemoError as exc:
        raise ControlError(str(exc)) from None
    return JSONResponse(summary)


async def receiver(request: Request) -> Response:
    """The demo's webhook receiver: reads the body and answers ``{"received": true}``
    (200), or the status ``?status=`` asks for, to play a receiver that is down."""
    raw = request.query_params.get("status", "200")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 3 or int(raw) not in RECEIVER_STATUSES:
        raise ControlError(f"status must be one of {', '.join(map(str, RECEIVER_STATUSES))}")
    await request.body()
    status = int(raw)
    return JSONResponse({"received": status == 200}, status_code=status)


routes: list[BaseRoute] = [
    Route("/demo", post_demo, methods=["POST"]),
    Route("/demo/receiver", receiver, methods=["POST"]),
]
