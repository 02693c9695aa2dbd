"""The home page: tenants and their counts, the clock, progression, faults, recent traffic."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from emulator.inspector.render import PREFIX, Frame, render, view

RECENT = 8


@view
async def home(request: Request, f: Frame) -> Response:
    """Everything at a glance, with links into each part."""
    progression = await f.client.get("/_emulator/progression")
    faults = await f.client.get("/_emulator/faults")
    recent = await f.client.get("/_emulator/requests", params={"limit": RECENT})
    callbacks = await f.client.get("/_emulator/callbacks", params={"limit": 1, "brief": True})
    return render(
        f,
        "home.html",
        {
            "progression": progression,
            "rules": faults["rules"],
            "recent": list(reversed(recent["requests"])),
            "journal": recent,
            "deliveries": callbacks["summary"],
        },
    )


async def to_home(request: Request) -> Response:
    """``/_emulator/ui`` without its slash."""
    return RedirectResponse(f"{PREFIX}/", status_code=307)
