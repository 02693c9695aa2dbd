"""Request headers read straight from the ASGI scope.

Starlette's ``request.headers.get`` builds a ``Headers`` view and goes through
``Mapping.get`` and a lower-casing ``__getitem__`` on every call; the hot vendor
reads ask for two or three headers per request, and that showed up in the
benchmark's profile. ASGI servers hand header names lower-cased (ASGI spec, HTTP
connection scope), so a scan for the exact bytes finds the same first value.
"""

from __future__ import annotations

from starlette.types import Scope


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of header ``name`` (lower-case bytes), or None."""
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None
