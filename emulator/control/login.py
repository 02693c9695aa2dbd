"""Logging a browser in to the control plane: the form, the session cookie, logging out.

``GET /_emulator/login`` is a small form (the inspector's pages send a browser without
credentials here, with ``next`` naming the page); ``POST /_emulator/login`` with the
control token (a form field, or JSON ``{"token": ...}``) sets the session cookie and,
for a form, sends the browser on to ``next``. The cookie's value is a MAC derived from
the token (``ControlAccess.session_cookie``), never the token itself; it is
``HttpOnly``, ``SameSite=Strict``, limited to ``/_emulator``, and ``Secure`` behind
HTTPS. ``POST /_emulator/logout`` forgets it.
"""

from __future__ import annotations

import html
from typing import Final
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from emulator.control.access import COOKIE, PREFIX, REALM, access_of
from emulator.control.params import json_body
from emulator.core.errors import ControlError

_FORM: Final = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>vendor-emulator: log in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font:16px system-ui,sans-serif;max-width:24rem;margin:4rem auto;padding:0 1rem}}
input{{font:inherit;width:100%;margin:.5rem 0;padding:.4rem}}</style></head>
<body><h1>Control token</h1>
<p>This emulator's control plane needs its token (<code>EMULATOR_CONTROL_TOKEN</code>).</p>
<form method="post" action="{action}">
<input type="password" name="token" autocomplete="current-password" autofocus required>
<input type="hidden" name="next" value="{next}">
<input type="submit" value="Log in"></form></body></html>
"""


async def login_form(request: Request) -> Response:
    """``GET /_emulator/login``: the form a browser fills in."""
    target = _local(request.query_params.get("next", "")) or f"{PREFIX}/ui/"
    page = _FORM.format(action=f"{PREFIX}/login", next=html.escape(target, quote=True))
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})


async def login(request: Request) -> Response:
    """``POST /_emulator/login`` with ``token`` (form or JSON): sets the session cookie.

    A form post may carry ``next`` (a path under /_emulator): the answer is then a
    303 to it, so a plain HTML form works without script.
    """
    access = access_of(request)
    fields = await _login_fields(request)
    token = fields.get("token", "")
    if not access.login_ok(token):
        raise ControlError(
            "wrong control token" if access.token else "this emulator has no control token",
            status_code=401,
            error_code="unauthorized",
            headers={"WWW-Authenticate": REALM},
        )
    target = _local(fields.get("next", ""))
    response: Response
    if target:
        response = RedirectResponse(target, status_code=303)
    else:
        response = JSONResponse({"logged_in": True})
    cookie = access.session_cookie()
    assert cookie is not None
    response.set_cookie(
        COOKIE,
        cookie,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


async def logout(request: Request) -> Response:
    """``POST /_emulator/logout``: forgets the session cookie."""
    response = JSONResponse({"logged_in": False})
    response.delete_cookie(COOKIE, path=PREFIX, httponly=True, samesite="strict")
    return response


def _local(target: str) -> str:
    """``target`` when it is a path under /_emulator on this server, else ""."""
    if not target.startswith(PREFIX + "/"):
        return ""  # also spares urlsplit a malformed URL (``http://[`` raises ValueError)
    found = urlsplit(target)
    return target if not found.netloc and not found.scheme else ""


async def _login_fields(request: Request) -> dict[str, str]:
    kind = request.headers.get("content-type", "")
    if kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        async with request.form(max_files=0, max_fields=8) as form:
            return {k: v for k, v in form.items() if isinstance(v, str)}
    body = await json_body(request)
    if not isinstance(body, dict):
        raise ControlError('login takes {"token": "..."} (JSON) or a form field token')
    return {k: v for k, v in body.items() if isinstance(k, str) and isinstance(v, str)}


routes: list[BaseRoute] = [
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
