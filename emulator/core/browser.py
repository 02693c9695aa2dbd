"""What the control plane and the inspector agree on about browsers.

A web page elsewhere must not drive a developer's loopback emulator: a browser says
where a request comes from in ``Origin`` (sent on cross-site requests and on every
POST), and a request from a page of another server is refused. The inspector's
session cookie is named here too, for the middleware that sets and checks it and the
pages that forward it.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit

from starlette.types import Scope

from emulator.core.headers import header

SESSION_COOKIE: Final = "emulator_control"
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})


def same_origin(scope: Scope) -> bool:
    """False when a browser says the request comes from a page of another server.

    No ``Origin``: not a browser's cross-site request. ``Origin: null`` (a sandboxed or
    privacy-stripped page) passes for safe methods only. An ``Origin`` that is no URL at
    all (``http://[``) names no server of ours: refused, never a 500."""
    origin = header(scope, b"origin")
    if origin is None:
        return True
    if origin == "null":
        return scope["method"] in SAFE_METHODS
    host = header(scope, b"host")
    try:
        found = urlsplit(origin)
    except ValueError:
        return False
    return bool(found.netloc) and host is not None and found.netloc.lower() == host.lower()
