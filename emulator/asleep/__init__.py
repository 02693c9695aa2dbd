"""Asleep sleep-tracking API: Session API under /ai/v1, Data API under /data/v1..v3."""

from __future__ import annotations

from emulator.asleep import webhooks
from emulator.asleep.errors import AsleepShape
from emulator.asleep.routes import control_routes, routes, scenarios
from emulator.asleep.wiring import advancer, install_ticker
from emulator.core.runtime import Runtime
from emulator.core.vendors import Vendor


def install(rt: Runtime) -> None:
    """Plug Asleep into the runtime.

    * ``POST /_emulator/advance`` completes CLOSED sessions (``advancer``);
    * every event is turned into a webhook delivery (``webhooks``, issue 6);
    * a ticker applies virtual time (``seconds`` progression, the 24-hour cap)
      without waiting for a read, so those webhooks fire on time (``wiring.Ticker``).
    """
    rt.advancers["asleep"] = advancer(rt)
    webhooks.install(rt)
    install_ticker(rt)


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
