"""Start-up hygiene: the first request must not wait for numpy, pysleep, httpx or pydantic.

This is what keeps the cold start within the published target (docs/performance.md)
without asserting on time, which flakes on shared machines.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from emulator.core import lazy

PROBE = """
import asyncio, json
from emulator.core import lazy
from emulator.app import create_app

async def main():
    app = create_app()
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": "/_emulator/health", "raw_path": b"/_emulator/health",
        "root_path": "", "query_string": b"", "headers": [], "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 1), "app": app,
    }
    async with app.router.lifespan_context(app):
        await app(scope, receive, send)
        loaded = {n: lazy.loaded(n) for n in ("numpy", "pysleep", "httpx", "pydantic")}
    print(json.dumps({"status": sent[0]["status"], "loaded": loaded}))

asyncio.run(main())
"""


def test_heavy_libraries_are_not_imported_to_answer_health() -> None:
    # Without response validation: that builds the OpenAPI document (and so loads pydantic)
    # at start-up on purpose; a served emulator does not validate.
    env = {k: v for k, v in os.environ.items() if k != "EMULATOR_VALIDATE_RESPONSES"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env=env,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {
        "status": 200,
        "loaded": {"numpy": False, "pysleep": False, "httpx": False, "pydantic": False},
    }


def test_lazy_modules_load_on_first_use() -> None:
    np = lazy.module("numpy")
    assert int(np.int8(3)) == 3
    assert lazy.loaded("numpy")
    thread = lazy.warm_up(["numpy", "pysleep"])
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert lazy.loaded("pysleep")
