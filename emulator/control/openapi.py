"""The OpenAPI 3.1 document of everything the emulator serves: ``GET /_emulator/openapi.json``.

Each vendor hands in its part (``Vendor.api_part``: ``asleep.openapi``,
``kintsugi.openapi``), the control API adds its own (``control.spec``); this module
assembles them. The document is what the code is checked against: by
``emulator.control.contract`` (response self-validation) and by the schemathesis run
in tests/test_openapi.py. ``for_vendors`` builds it once per app.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from emulator import __version__
from emulator.control import spec
from emulator.core.openapi import API_KEY_SCHEME, ApiPart
from emulator.core.runtime import Vendor

__all__ = ["document", "for_vendors", "routes", "to_bytes"]

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
def document(vendor_parts: tuple[ApiPart, ...]) -> dict[str, Any]:
    """The whole document of the vendors' parts and the control API's own.

    Built once per set of parts (they are pure): treat it as read-only.
    """
    parts = [*vendor_parts, spec.part()]
    schemas: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    for part in parts:
        for name, found, new in (
            ("schema", schemas, part.components()),
            ("path", paths, part.paths()),
        ):
            overlap = set(found) & set(new)
            if overlap:
                raise ValueError(f"{name} names defined twice: {sorted(overlap)}")
            found.update(new)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "vendor-emulator: Asleep and Kintsugi Voice",
            "version": __version__,
            "description": _DESCRIPTION,
        },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "tags": [{"name": part.tag, "description": part.description} for part in parts],
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


def for_vendors(vendors: Sequence[Vendor]) -> dict[str, Any]:
    """The document of an app serving ``vendors``."""
    return document(tuple(part for v in vendors if (part := v.api_part()) is not None))


def to_bytes(doc: Mapping[str, Any]) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def routes(doc: Mapping[str, Any]) -> list[BaseRoute]:
    """``GET /openapi.json``: the document, serialised once."""
    body = to_bytes(doc)

    async def openapi_json(request: Request) -> Response:
        return Response(body, media_type="application/json")

    return [Route("/openapi.json", openapi_json, methods=["GET"])]
