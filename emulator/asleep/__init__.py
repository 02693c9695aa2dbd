"""Asleep sleep-tracking API: Session API under /ai/v1, Data API under /data/v1..v3."""

from __future__ import annotations

from emulator.asleep.errors import AsleepShape
from emulator.asleep.routes import control_routes, routes, scenarios
from emulator.asleep.wiring import advancer
from emulator.runtime import Runtime
from emulator.vendors import Vendor


def install(rt: Runtime) -> None:
    """Let ``POST /_emulator/advance`` complete CLOSED Asleep sessions."""
    rt.advancers["asleep"] = advancer(rt)


def vendor() -> Vendor:
    return Vendor(
        name="asleep",
        title="Asleep",
        prefixes=("/ai/", "/data/"),
        routes=routes,
        errors=AsleepShape(),
        max_body_bytes=lambda s: s.asleep.max_body_bytes,
        control_routes=control_routes,
        scenarios=scenarios,
        install=install,
    )
