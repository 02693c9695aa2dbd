"""Asleep sleep-tracking API: Session API under /ai/v1, Data API under /data/v1..v3."""

from __future__ import annotations

import asyncio
import importlib
import threading

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
      without waiting for a read, so those webhooks fire on time (``wiring.Ticker``);
    * the request and response models (pydantic) load in the background after start-up.
    """
    rt.advancers["asleep"] = advancer(rt)
    webhooks.install(rt)
    install_ticker(rt)
    rt.on_startup.append(_warm_up_models)


_MODELS = ("emulator.asleep.validation", "emulator.asleep.documents")


async def _warm_up_models() -> None:
    """Load the pydantic models shortly after start-up, in the background, so neither the
    first health check nor the first metadata or Data API request waits for them (what
    ``core.lazy.warm_up`` does for numpy)."""

    def load() -> None:
        for name in _MODELS:
            importlib.import_module(name)

    def start() -> None:
        threading.Thread(target=load, name="asleep-models-warm-up", daemon=True).start()

    asyncio.get_running_loop().call_later(0.5, start)


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
