"""The control API's login calls (``/_emulator/login``, ``/_emulator/logout``) in the
document: how a browser gets the session cookie (control.login; docs/security.md).
Part of ``spec``; split out to keep each module small."""

from __future__ import annotations

from typing import Any, Final

from emulator.control.spec_helpers import BAD as _BAD
from emulator.control.spec_helpers import ok as _ok
from emulator.control.spec_helpers import op as _op
from emulator.core.openapi import boolean, obj, query, string
from emulator.core.openapi import control_error as _err

SOURCE: Final = "emulator (docs/security.md)"


def access_paths() -> dict[str, dict[str, Any]]:
    login_fields = obj({"token": string(), "next": string()}, required=("token",))
    return {
        "/_emulator/login": {
            "get": _op(
                "control_login_form",
                "The login form (a browser sent here from the inspector without a session)",
                (
                    200,
                    {
                        "description": "An HTML form posting the token to this path",
                        "content": {"text/html": {"schema": string()}},
                    },
                ),
                parameters=[query("next", string(), "The page to go on to (under /_emulator)")],
                source_text=SOURCE,
            ),
            "post": _op(
                "control_login",
                "Log in with the control token: sets the session cookie",
                _ok("Logged in (a form with `next`: a 303 there)", obj({"logged_in": boolean()})),
                (303, {"description": "Logged in; on to `next`"}),
                _BAD,
                _err(401, "`unauthorized`: wrong token, or this emulator has none"),
                request_body={
                    "required": True,
                    "content": {
                        "application/json": {"schema": login_fields},
                        "application/x-www-form-urlencoded": {"schema": login_fields},
                    },
                },
                source_text=SOURCE,
            ),
        },
        "/_emulator/logout": {
            "post": _op(
                "control_logout",
                "Forget the session cookie",
                _ok("Logged out", obj({"logged_in": boolean()})),
                source_text=SOURCE,
            )
        },
    }
