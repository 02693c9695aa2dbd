"""pytest fixtures for testing a client against the emulator (registered via ``pytest11``).

* ``emulator_settings`` - the ``Settings`` the other fixtures use; override it in a
  conftest (or a test module) to change seed, thresholds or plans.
* ``emulator_server`` - a live server on 127.0.0.1, reset before each test that uses
  it; ``emulator_server.base_url`` is what the client points at. One server per
  distinct ``emulator_settings`` value for the whole session: tests that override the
  settings with equal values share one server, and the session summary says how many
  were started.
* ``emulator_control`` - an ``emulator.client.EmulatorClient`` for that server.
* ``emulator_app`` / ``emulator_client`` - the ASGI app and an httpx-compatible client
  bound to it in-process (no sockets), lifespan included.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections import OrderedDict
from collections.abc import Iterator
from typing import TYPE_CHECKING, Final

import pytest

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from emulator.client import EmulatorClient
    from emulator.settings import Settings
    from emulator.testing import EmulatorServer

# Servers kept running at once; the least recently used one stops beyond that (a suite
# that tries many settings values does not keep a thread and an app per value).
MAX_LIVE_SERVERS: Final = 4


class ServerPool:
    """The session's live servers, one per distinct settings value."""

    def __init__(self, limit: int = MAX_LIVE_SERVERS) -> None:
        self.limit = limit
        self.started = 0
        self.reused = 0
        self.distinct: set[str] = set()
        self._live: OrderedDict[str, EmulatorServer] = OrderedDict()

    def server(self, settings: Settings) -> EmulatorServer:
        from emulator.testing import EmulatorServer

        # Host and port are always the server's own (127.0.0.1, a free port), so they do
        # not make a value distinct. The key is the whole value, fields kept out of the
        # repr included: two settings that differ only in the control token (a secret,
        # repr=False) must not share a server.
        same = dataclasses.replace(settings, host="127.0.0.1", port=0)
        hidden = [getattr(same, f.name) for f in dataclasses.fields(same) if not f.repr]
        key = repr(same) + repr(hidden)
        self.distinct.add(key)
        found = self._live.get(key)
        if found is not None:
            self._live.move_to_end(key)
            self.reused += 1
            return found
        while len(self._live) >= self.limit:
            self._live.popitem(last=False)[1].stop()
        server = EmulatorServer(settings).start()
        self._live[key] = server
        self.started += 1
        return server

    def stop(self) -> None:
        while self._live:
            self._live.popitem()[1].stop()

    def summary(self) -> str | None:
        if self.started == 0:
            return None
        return (
            f"vendor-emulator: {self.started} server(s) started for {len(self.distinct)} "
            f"distinct emulator_settings value(s), reused {self.reused} time(s)"
        )


_POOL: Final = pytest.StashKey[ServerPool]()


@pytest.fixture
def emulator_settings() -> Settings:
    from emulator.settings import Settings

    return Settings()


@pytest.fixture(scope="session")
def _emulator_server_pool(request: pytest.FixtureRequest) -> Iterator[ServerPool]:
    pool = ServerPool()
    request.config.stash[_POOL] = pool
    yield pool
    pool.stop()


@pytest.fixture
def emulator_server(
    _emulator_server_pool: ServerPool, emulator_settings: Settings
) -> EmulatorServer:
    server = _emulator_server_pool.server(emulator_settings)
    server.reset()
    return server


@pytest.fixture
def emulator_control(emulator_server: EmulatorServer) -> Iterator[EmulatorClient]:
    from emulator.client import EmulatorClient

    token = emulator_server.settings.control_token
    with EmulatorClient(emulator_server.base_url, token=token) as client:
        yield client


@pytest.fixture
def emulator_app(emulator_settings: Settings) -> Starlette:
    from emulator.app import create_app

    return create_app(emulator_settings)


@pytest.fixture
def emulator_client(emulator_app: Starlette) -> Iterator[TestClient]:
    TestClient = _test_client_class()
    with TestClient(emulator_app, raise_server_exceptions=False) as client:
        yield client


def _test_client_class() -> type[TestClient]:
    """Starlette's TestClient. Without the ``httpx2`` package Starlette falls back to
    ``httpx`` with a deprecation warning at import, which fails a suite that turns
    warnings into errors; the fallback works, so that one warning is not passed on."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"(?s).*install `httpx2`")
        from starlette.testclient import TestClient
    return TestClient


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    pool = terminalreporter.config.stash.get(_POOL, None)
    line = pool.summary() if pool is not None else None
    if line is not None:
        terminalreporter.write_line(line)
