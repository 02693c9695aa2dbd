"""The inspector: a web UI inside the emulator, under ``/_emulator/ui/``.

For demos and for the developer whose contract test fails: what each tenant holds, a
night drawn like a sleep app draws it, a Kintsugi prediction with its audio verdict,
the webhooks sent, the requests received (live), and forms for every control.

Layering: the inspector imports ``emulator.core`` only (nothing of the vendors or of
``emulator.control``) and reads everything through the control API (``client``),
as the caller: when the control plane asks for credentials, the inspector forwards
the caller's. Pages are drawn on the server (Jinja2 templates and inline SVG shipped
in the package); a little script of our own (``static/inspector.js``) adds the live
parts. Nothing is fetched from the network.

    /_emulator/ui/                              home
    /_emulator/ui/asleep/users                  a tenant's Asleep users
    /_emulator/ui/asleep/users/{user_id}        one user's nights
    /_emulator/ui/asleep/sessions/{session_id}  one night
    /_emulator/ui/kintsugi/sessions             a tenant's Kintsugi sessions
    /_emulator/ui/kintsugi/sessions/{id}        one session
    /_emulator/ui/webhooks                      the delivery log
    /_emulator/ui/journal                       the request journal, live
    /_emulator/ui/controls                      clock, faults, scenarios, data

Every page takes ``?tenant=<api key>`` (the tenant it shows).
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from emulator.inspector import asleep, controls, home, journal, kintsugi, webhooks
from emulator.inspector.client import ControlCallError
from emulator.inspector.render import PREFIX, Frame, render, view

__all__ = ["PREFIX", "routes"]


@view
async def not_found(request: Request, f: Frame) -> Response:
    error = ControlCallError(404, "not_found", f"No inspector page at {request.url.path}.")
    return render(f, "error.html", {"error": error}, status=404)


def _routes() -> list[BaseRoute]:
    pages = [
        ("/", home.home, "GET"),
        ("/asleep/users", asleep.users, "GET"),
        ("/asleep/users/{user_id}", asleep.user, "GET"),
        ("/asleep/sessions/{session_id}", asleep.session, "GET"),
        ("/kintsugi/sessions", kintsugi.sessions, "GET"),
        ("/kintsugi/sessions/{session_id}", kintsugi.session, "GET"),
        ("/webhooks", webhooks.page, "GET"),
        ("/webhooks/failures", webhooks.failures, "POST"),
        ("/webhooks/{delivery_id}/redeliver", webhooks.redeliver, "POST"),
        ("/journal", journal.page, "GET"),
        ("/journal/stream", journal.stream, "GET"),
        ("/controls", controls.page, "GET"),
        ("/controls/preview", controls.preview, "GET"),
        ("/controls/{action}", controls.act, "POST"),
    ]
    found: list[BaseRoute] = [Route(PREFIX, home.to_home, methods=["GET"])]
    found += [Route(PREFIX + path, endpoint, methods=[method]) for path, endpoint, method in pages]
    static = StaticFiles(directory=Path(__file__).parent / "static")
    found.append(Mount(PREFIX + "/static", app=static, name="inspector-static"))
    found.append(Route(PREFIX + "/{rest:path}", not_found, methods=["GET"]))
    return found


routes: list[BaseRoute] = _routes()
