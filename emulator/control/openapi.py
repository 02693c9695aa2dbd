"""The OpenAPI 3.1 document of everything the emulator serves: ``GET /_emulator/openapi.json``.

Each vendor hands in its part (``Vendor.api_part``: ``asleep.openapi``,
``kintsugi.openapi``, each with its own ``/_emulator/<vendor>/`` controls), the control
API adds its own (``control.spec``); this module assembles them. The parts are
generated from the declarations the code runs on (the vendors' pydantic models), so
building them imports pydantic: ``for_vendors`` hands out a ``LazyDocument`` that is
built on first read (the first ``GET /_emulator/openapi.json``, or at start-up when
response validation is on), not at start-up. The document is what the code is checked
against: by ``emulator.control.contract`` (response self-validation) and by the
schemathesis run in tests/control/test_openapi.py. What the trust boundary answers around
every operation (401, 403, 503, the control token's scheme) is added by
``spec_boundary`` when the document is built.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from emulator import __version__
from emulator.control import spec
from emulator.control.spec_boundary import TenantMay, with_trust_boundary
from emulator.core.openapi import API_KEY_SCHEME, ApiPart
from emulator.core.runtime import Vendor

__all__ = ["LazyDocument", "document", "for_vendors", "routes", "to_bytes"]

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
    parts = [*vendor_parts, spec.part(vendor_parts)]
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


class LazyDocument(Mapping[str, Any]):
    """The document of some parts, built on first read (then cached, read-only).
    ``boundary``: what the trust boundary adds (``spec_boundary``), applied once."""

    def __init__(
        self,
        parts: tuple[ApiPart, ...],
        boundary: Callable[[Mapping[str, Any]], dict[str, Any]],
    ) -> None:
        self._parts = parts
        self._boundary = boundary
        self._lock = threading.Lock()
        self._bytes: bytes | None = None
        self._bounded: dict[str, Any] | None = None

    def built(self) -> dict[str, Any]:
        with self._lock:  # a request thread and a warm-up may race to build it
            if self._bounded is None:
                self._bounded = self._boundary(document(self._parts))
            return self._bounded

    def to_bytes(self) -> bytes:
        if self._bytes is None:
            self._bytes = to_bytes(self.built())
        return self._bytes

    def __getitem__(self, key: str) -> Any:
        return self.built()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.built())

    def __len__(self) -> int:
        return len(self.built())


# One document per (parts, guarded, whether tenants may call): the response validators
# are compiled per document object.
_GUARDED: dict[tuple[tuple[ApiPart, ...], bool, bool], LazyDocument] = {}


def for_vendors(
    vendors: Sequence[Vendor], *, guarded: bool = False, tenant_may: TenantMay | None = None
) -> LazyDocument:
    """The document of an app serving ``vendors`` (one object per set of parts), with
    the trust boundary's answers (``spec_boundary``); ``guarded``: the control plane
    checks callers, ``tenant_may(METHOD, path)``: a tenant's key may make the call."""
    parts = tuple(part for v in vendors if (part := v.api_part()) is not None)
    key = (parts, guarded, tenant_may is not None and guarded)
    found = _GUARDED.get(key)
    if found is None:
        found = _GUARDED[key] = LazyDocument(
            parts,
            functools.partial(
                with_trust_boundary, guarded=guarded, tenant_may=tenant_may if guarded else None
            ),
        )
    return found


def to_bytes(doc: Mapping[str, Any]) -> bytes:
    if isinstance(doc, LazyDocument):
        doc = doc.built()
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def routes(doc: Mapping[str, Any]) -> list[BaseRoute]:
    """``GET /openapi.json``: the document, serialised once (on the first request)."""
    cached: list[bytes] = []

    async def openapi_json(request: Request) -> Response:
        if not cached:
            cached.append(doc.to_bytes() if isinstance(doc, LazyDocument) else to_bytes(doc))
        return Response(cached[0], media_type="application/json")

    return [Route("/openapi.json", openapi_json, methods=["GET"])]
