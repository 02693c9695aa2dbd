"""Kintsugi Voice API: v1 (synchronous) under /v1, v2 (asynchronous) under /v2."""

from __future__ import annotations

import asyncio

from emulator.audio.settings import AudioSettings
from emulator.core.runtime import Runtime
from emulator.kintsugi import control, demo, openapi
from emulator.kintsugi.forcing import advancer, control_routes, scenarios
from emulator.kintsugi.routes import routes
from emulator.kintsugi.settings import KintsugiSettings
from emulator.kintsugi.vendor import KintsugiVendor, kintsugi_of

# Seconds after start-up before the voice detector is loaded in the background: late
# enough that the first health check does not compete with it.
WARM_UP_DELAY = 1.0


def install(rt: Runtime) -> None:
    """Let ``POST /_emulator/advance`` finish Kintsugi v2 predictions, and load the voice
    detector shortly after start-up (not at import: the cold start must not pay for it)."""
    rt.advancers["kintsugi"] = advancer(rt)
    if kintsugi_of(rt).audio.vad == "silero":
        rt.on_startup.append(_warm_up_later)


async def _warm_up_later() -> None:
    from emulator.audio.silero import warm_up

    asyncio.get_running_loop().call_later(WARM_UP_DELAY, warm_up)


def vendor(
    settings: KintsugiSettings | None = None, audio: AudioSettings | None = None
) -> KintsugiVendor:
    """Kintsugi Voice with its settings section and the audio section (which voice
    detector listens to the recordings: ``audio.vad``)."""
    return KintsugiVendor(
        settings or KintsugiSettings(),
        audio=audio or AudioSettings(),
        routes=routes,
        control_routes=control_routes,
        install=install,
        scenarios=scenarios,
        api_part=openapi.part,
        demo=demo.load,
        summary=control.summary,
    )
