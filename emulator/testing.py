"""In-process emulators for test suites (what moto's decorators are to AWS).

``EmulatorServer`` runs a real uvicorn server on a free loopback port in a thread, so
any HTTP client (the vendor SDKs included) can talk to it::

    with EmulatorServer(seed=7) as emu:
        api = kintsugi.api.Api("key", url=emu.base_url + "/v2")
        ...
        emu.reset()

The pytest plugin (``emulator.pytest_plugin``) wraps it in fixtures. ``speech_wav(seconds)``
(from ``emulator.audio.speech``) makes a WAV with at least that much voice, for Kintsugi's
30-s rule.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette

from emulator.app import create_app
from emulator.audio.speech import speech_wav
from emulator.core.runtime import Runtime
from emulator.core.sockets import bind
from emulator.settings import Settings

__all__ = ["EmulatorServer", "speech_wav"]


class EmulatorServer:
    """A live emulator on 127.0.0.1 for the duration of a ``with`` block."""

    def __init__(self, settings: Settings | None = None, **overrides: Any) -> None:
        base = settings or Settings()
        self.settings = dataclasses.replace(base, host="127.0.0.1", port=0, **overrides)
        self.app: Starlette = create_app(self.settings)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._port = 0

    @property
    def runtime(self) -> Runtime:
        found: Runtime = self.app.state.runtime
        return found

    @property
    def base_url(self) -> str:
        if not self._port:
            raise RuntimeError("the emulator is not running; use it in a with block")
        return f"http://127.0.0.1:{self._port}"

    def start(self) -> EmulatorServer:
        sock = bind("127.0.0.1", 0, backlog=1024)
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="on")
        server = self._server = uvicorn.Server(config)
        thread = self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="vendor-emulator", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the emulator did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=15)
        self._server = self._thread = None
        self._port = 0

    def reset(self, api_key: str | None = None) -> None:
        """Forget all state (or one API key's), as ``POST /_emulator/reset`` does."""
        params = {"api_key": api_key} if api_key is not None else None
        httpx.post(
            f"{self.base_url}/_emulator/reset",
            params=params,
            headers=self.control_headers,
            timeout=10,
        ).raise_for_status()

    @property
    def control_headers(self) -> dict[str, str]:
        """What a control call needs: the bearer token when the settings carry one."""
        token = self.settings.control_token
        return {"Authorization": f"Bearer {token}"} if token else {}

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        """Stop the server, whatever the block raised (it is not swallowed)."""
        self.stop()
