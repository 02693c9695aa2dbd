"""Kintsugi Voice API: v1 (synchronous) under /v1, v2 (asynchronous) under /v2."""

from __future__ import annotations

from emulator.core.runtime import Runtime
from emulator.kintsugi import control, demo, openapi
from emulator.kintsugi.routes import advancer, control_routes, routes, scenarios
from emulator.kintsugi.settings import KintsugiSettings
from emulator.kintsugi.vendor import KintsugiVendor


def install(rt: Runtime) -> None:
    """Let ``POST /_emulator/advance`` finish Kintsugi v2 predictions."""
    rt.advancers["kintsugi"] = advancer(rt)


def vendor(settings: KintsugiSettings | None = None) -> KintsugiVendor:
    return KintsugiVendor(
        settings or KintsugiSettings(),
        routes=routes,
        control_routes=control_routes,
        install=install,
        scenarios=scenarios,
        api_part=openapi.part,
        demo=demo.load,
        summary=control.summary,
    )
