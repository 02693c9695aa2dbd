"""pytest fixtures for testing a client against the emulator (registered via ``pytest11``).

* ``emulator_settings`` - the ``Settings`` the other fixtures use; override it in a
  conftest to change seed, thresholds or plans.
* ``emulator_server`` - a live server on 127.0.0.1 (one per test session), reset before
  each test that uses it; ``emulator_server.base_url`` is what the client points at.
* ``emulator_app`` / ``emulator_client`` - the ASGI app and an httpx-compatible client
  bound to it in-process (no sockets), lifespan included.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from emulator.settings import Settings
    from emulator.testing import EmulatorServer


@pytest.fixture
def emulator_settings() -> Settings:
    from emulator.settings import Settings

    return Settings()


@pytest.fixture(scope="session")
def _emulator_server_session(request: pytest.FixtureRequest) -> Iterator[EmulatorServer]:
    from emulator.testing import EmulatorServer

    with EmulatorServer() as server:
        yield server


@pytest.fixture
def emulator_server(
    request: pytest.FixtureRequest, emulator_settings: Settings
) -> Iterator[EmulatorServer]:
    from emulator.settings import Settings
    from emulator.testing import EmulatorServer

    if emulator_settings == Settings():
        shared: EmulatorServer = request.getfixturevalue("_emulator_server_session")
        shared.reset()
        yield shared
        return
    with EmulatorServer(emulator_settings) as server:
        yield server


@pytest.fixture
def emulator_app(emulator_settings: Settings) -> Starlette:
    from emulator.app import create_app

    return create_app(emulator_settings)


@pytest.fixture
def emulator_client(emulator_app: Starlette) -> Iterator[TestClient]:
    from starlette.testclient import TestClient

    with TestClient(emulator_app, raise_server_exceptions=False) as client:
        yield client
