"""Kintsugi Voice API: v1 (synchronous) under /v1, v2 (asynchronous) under /v2."""

from __future__ import annotations

from emulator.kintsugi.errors import KintsugiShape
from emulator.kintsugi.routes import control_routes, routes, scenarios
from emulator.vendors import Vendor


def vendor() -> Vendor:
    return Vendor(
        name="kintsugi",
        title="Kintsugi Voice",
        prefixes=("/v1/", "/v2/"),
        routes=routes,
        errors=KintsugiShape(),
        max_body_bytes=lambda s: s.kintsugi.max_body_bytes,
        control_routes=control_routes,
        scenarios=scenarios,
    )
