"""Kintsugi Voice API: v1 (synchronous) under /v1, v2 (asynchronous) under /v2."""

from __future__ import annotations

from emulator.core.runtime import Runtime
from emulator.core.vendors import Vendor
from emulator.kintsugi.errors import KintsugiShape
from emulator.kintsugi.routes import advancer, control_routes, routes, scenarios


def install(rt: Runtime) -> None:
    """Let ``POST /_emulator/advance`` finish Kintsugi v2 predictions."""
    rt.advancers["kintsugi"] = advancer(rt)


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
        install=install,
    )
