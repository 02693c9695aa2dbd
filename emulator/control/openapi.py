"""The OpenAPI 3.1 document of everything the emulator serves: ``GET /_emulator/openapi.json``.

This package owns the contract: every Asleep and Kintsugi endpoint the emulator
serves and the emulator's own control API, written by hand from the vendors'
documented shapes (``asleep``, ``kintsugi``) and the control API's docs (``control``).
It is not generated from the emulator's code, because it is what that code is
checked against: by ``emulator.control.contract`` (response self-validation) and by the
schemathesis run in tests/test_openapi.py.

``document()`` assembles it once per process; ``document_bytes()`` is the cached
response body.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from emulator import __version__
from emulator.asleep import openapi as asleep
from emulator.control import spec as control
from emulator.core.openapi import API_KEY_SCHEME
from emulator.kintsugi import openapi as kintsugi

__all__ = ["document", "document_bytes", "routes"]

_DESCRIPTION = """\
A local emulator of the Asleep sleep-tracking API and the Kintsugi Voice API, plus its
own control API under /_emulator.

Vendor shapes come from the vendors' documentation (the seed pages and the research
notes: asleep-api.md, kintsugi-api.md); `x-emulator-source` on a schema or operation
names the source, and `INFERRED` marks the emulator's own choice where the vendor
documents nothing. Asleep errors are `{"detail": ...}`, Kintsugi v1 errors
`{"error": ...}`, v2 errors `{"message": ...}`, control errors `{"error", "message"}`.
"""


@functools.cache
def document() -> dict[str, Any]:
    """The whole document (built once; treat it as read-only)."""
    schemas: dict[str, Any] = {}
    for part in (asleep.components(), kintsugi.components(), control.components()):
        overlap = set(schemas) & set(part)
        if overlap:
            raise ValueError(f"schema names defined twice: {sorted(overlap)}")
        schemas.update(part)
    paths: dict[str, Any] = {}
    for part in (asleep.paths(), kintsugi.paths(), control.paths()):
        overlap = set(paths) & set(part)
        if overlap:
            raise ValueError(f"paths defined twice: {sorted(overlap)}")
        paths.update(part)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "vendor-emulator: Asleep and Kintsugi Voice",
            "version": __version__,
            "description": _DESCRIPTION,
        },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "tags": [
            {"name": asleep.TAG, "description": "Asleep Session API (/ai/v1) and Data API"},
            {"name": kintsugi.TAG, "description": "Kintsugi Voice API v1 and v2"},
            {"name": control.TAG, "description": "The emulator's own API (/_emulator)"},
        ],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                API_KEY_SCHEME: {
                    "type": "apiKey",
                    "in": "header",
                    "name": "x-api-key",
                    "description": "Both vendors' API key header (Kintsugi spells it X-API-Key)",
                }
            },
        },
    }


@functools.cache
def document_bytes() -> bytes:
    return json.dumps(document(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


async def openapi_json(request: Request) -> Response:
    return Response(document_bytes(), media_type="application/json")


routes: list[BaseRoute] = [Route("/openapi.json", openapi_json, methods=["GET"])]
