"""In-process use: EmulatorServer and the pytest plugin's fixtures, used as a user would."""

from __future__ import annotations

import time

import httpx
import pytest
from starlette.testclient import TestClient

from emulator.settings import Settings
from emulator.testing import EmulatorServer


def _journaled(server: EmulatorServer, count: int) -> int:
    """The journal's length once it holds ``count`` entries (or after 200 short waits).

    The journal records a request after its response has gone out, so a client on
    another thread can read its answer before the entry is there.
    """
    for _ in range(200):
        if len(server.runtime.journal) >= count:
            break
        time.sleep(0.01)
    return len(server.runtime.journal)


def test_emulator_server_runs_on_a_free_loopback_port() -> None:
    with EmulatorServer(seed=9) as emu:
        assert emu.base_url.startswith("http://127.0.0.1:")
        r = httpx.get(f"{emu.base_url}/_emulator/health")
        assert r.status_code == 200
        assert r.json()["seed"] == 9
        httpx.get(f"{emu.base_url}/v2/nothing", headers={"x-api-key": "k"})
        assert _journaled(emu, 1) == 1
        emu.reset()
        assert len(emu.runtime.journal) == 0
    with pytest.raises(RuntimeError, match="not running"):
        _ = emu.base_url


def test_two_servers_do_not_share_state() -> None:
    with EmulatorServer() as a, EmulatorServer() as b:
        httpx.get(f"{a.base_url}/v2/x")
        assert _journaled(a, 1) == 1
        assert len(b.runtime.journal) == 0


def test_emulator_server_fixture(emulator_server: EmulatorServer) -> None:
    r = httpx.get(f"{emulator_server.base_url}/v1/unknown", headers={"x-api-key": "k"})
    assert r.status_code == 404
    assert r.json() == {"error": "path_not_found"}


def test_emulator_server_fixture_is_reset_between_tests(emulator_server: EmulatorServer) -> None:
    # The previous test left a journal entry on the shared server; this one starts clean.
    assert httpx.get(f"{emulator_server.base_url}/_emulator/requests").json()["requests"] == []


def test_emulator_client_fixture_is_bound_to_the_app(emulator_client: TestClient) -> None:
    assert isinstance(emulator_client, TestClient)
    assert emulator_client.get("/_emulator/health").json()["status"] == "ok"


class TestOverriddenSettings:
    @pytest.fixture
    def emulator_settings(self) -> Settings:
        return Settings(seed=1234)

    def test_fixtures_follow_overridden_settings(
        self, emulator_client: TestClient, emulator_server: EmulatorServer
    ) -> None:
        assert emulator_client.get("/_emulator/health").json()["seed"] == 1234
        assert httpx.get(f"{emulator_server.base_url}/_emulator/health").json()["seed"] == 1234
