"""AsyncEmulatorClient: the same calls, awaited, against a live emulator."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from emulator.client import AsyncEmulatorClient, ControlAPIError, RequestNotFound, WaitTimeout
from emulator.core.secrets import mask
from emulator.testing import EmulatorServer
from tests.core.test_outbox import Receiver

KEY = "async-key"


def test_the_async_twin_does_what_the_sync_client_does(emulator_server: EmulatorServer) -> None:
    base = emulator_server.base_url

    async def scenario() -> None:
        async with (
            AsyncEmulatorClient(base, api_key=KEY) as emu,
            httpx.AsyncClient(base_url=base, headers={"x-api-key": KEY}) as vendor,
        ):
            assert (await emu.health())["status"] == "ok"
            assert await emu.reset() == {"reset": "tenant", "api_key": mask(KEY)}
            await emu.set_progression("kintsugi", "manual")
            r = await vendor.post("/v2/initiate", json={"user_id": "p", "is_initiated": True})
            assert r.status_code == 201
            await emu.assert_requested("POST", "/v2/initiate", count=1)
            with pytest.raises(RequestNotFound, match="Nearest requests"):
                await emu.assert_requested("GET", "/v2/initiate")
            rule = await emu.add_fault(action="latency", latency_ms=1)
            assert rule["api_key"] == mask(KEY)
            with pytest.raises(ControlAPIError) as caught:
                await emu.fault("missing")
            assert caught.value.error == "not_found"
            user = (await vendor.post("/ai/v1/users")).json()["result"]["user_id"]
            with Receiver() as receiver:
                night = await emu.synthetic_night(user, receiver.url, hours=1)
                done = await emu.wait_for("SESSION_COMPLETE", timeout=20)
                assert done[0]["session_id"] == night["session_id"]
            with pytest.raises(WaitTimeout):
                await emu.wait_for("NOPE", timeout=0.05)
            assert (await emu.with_api_key(None).reset())["reset"] == "all"

    asyncio.run(scenario())
