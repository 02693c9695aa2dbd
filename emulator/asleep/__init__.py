"""Asleep sleep-tracking API: Session API under /ai/v1, Data API under /data/v1..v3."""

from __future__ import annotations

from emulator.asleep import browse, demo, openapi, webhooks
from emulator.asleep.routes import control_routes, routes, scenarios
from emulator.asleep.settings import AsleepSettings
from emulator.asleep.vendor import AsleepVendor
from emulator.asleep.wiring import advancer, install_ticker
from emulator.core.runtime import Runtime


def install(rt: Runtime) -> None:
    """Plug Asleep into the runtime.

    * ``POST /_emulator/advance`` completes CLOSED sessions (``advancer``);
    * every event becomes a webhook delivery (``webhooks`` subscribes to ``rt.events``);
    * a ticker applies virtual time (``seconds`` progression, the 24-hour cap)
      without waiting for a read, so those webhooks fire on time (``wiring.Ticker``).
    """
    rt.advancers["asleep"] = advancer(rt)
    webhooks.install(rt)
    install_ticker(rt)


def vendor(settings: AsleepSettings | None = None) -> AsleepVendor:
    return AsleepVendor(
        settings or AsleepSettings(),
        routes=routes,
        control_routes=[*control_routes, *browse.routes],
        install=install,
        scenarios=lambda: [*scenarios(), *browse.scenarios()],
        api_part=openapi.part,
        demo=demo.load,
        summary=browse.summary,
    )
