"""Per-request CPU of the ASGI apps themselves, in-process: where the emulator's time goes.

``vendor-emulator bench`` measures over HTTP, so its figures include uvicorn, the
kernel's loopback and whatever else the machine is doing. This calls the apps directly
(no server, no socket) with the benchmark's ``GET /data/v3/sessions/{id}`` and counts
process CPU time per request: the emulator as built, the emulator with each of its own
middlewares taken out, and the bare baseline app answering the same bytes. Rounds
alternate between the variants and the minimum is reported, the figure least touched
by other load. It is the quick check after a change to the request path, and tells
which layer a regression is in. Run as ``python -m emulator.bench.inprocess``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from typing import Any, cast

import httpx
from starlette.types import ASGIApp, Message

from emulator.bench import baseline, flows

# The emulator's own middlewares (emulator.app), each left out in one variant.
MIDDLEWARES = ("JournalMiddleware", "FaultMiddleware", "BodyLimitMiddleware")


def _emulator(without: Sequence[str] = ()) -> tuple[ASGIApp, str, str, bytes]:
    """An emulator app holding one completed night: (app, user id, session id, body)."""
    from starlette.testclient import TestClient

    from emulator.app import create_app
    from emulator.settings import Settings

    app = create_app(Settings())
    with TestClient(app, headers={"x-api-key": flows.API_KEY}) as test_client:
        client = cast(httpx.Client, test_client)  # it is one; its stubs lose that
        user = flows.new_user(client)
        session_id, body = flows.replay_night(client, user, flows.tiny_melspectrogram())
    # Response validation (EMULATOR_VALIDATE_RESPONSES, on in the test suite) is left
    # out too: the figures are for the app users run.
    dropped = {*without, "ContractMiddleware"}
    app.user_middleware = [
        m for m in app.user_middleware if getattr(m.cls, "__name__", "") not in dropped
    ]
    app.middleware_stack = None  # rebuilt without them on the next call
    return app, user, session_id, body


def _scope(path: str, user: str) -> dict[str, Any]:
    headers = [
        (b"host", b"127.0.0.1"),
        (b"user-agent", b"wrk"),
        (b"x-api-key", flows.API_KEY.encode()),
        (b"x-user-id", user.encode()),
    ]
    return get_scope(path, headers, port=80)


def get_scope(
    path: str, headers: list[tuple[bytes, bytes]], *, query: str = "", port: int
) -> dict[str, Any]:
    """The ASGI scope of ``GET path?query`` from a local client to ``port``."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", port),
    }


async def _per_request_us(app: ASGIApp, scope: dict[str, Any], requests: int) -> float:
    statuses: list[int] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    started = time.process_time()
    for _ in range(requests):
        await app(dict(scope), receive, send)
    spent = time.process_time() - started
    if set(statuses) != {200}:
        raise RuntimeError(f"expected only 200s, got {sorted(set(statuses))}")
    return spent / requests * 1e6


def measure(rounds: int, requests: int) -> dict[str, float]:
    """Minimum CPU microseconds per request of each variant over ``rounds`` rounds."""
    variants: dict[str, tuple[ASGIApp, dict[str, Any]]] = {}
    body = b""
    for name, without in [
        ("emulator", ()),
        *((f"emulator without {m}", (m,)) for m in MIDDLEWARES),
        ("emulator without all three", MIDDLEWARES),
    ]:
        app, user, session_id, body = _emulator(without)
        variants[name] = (app, _scope(f"/data/v3/sessions/{session_id}", user))
    scope = variants["emulator"][1]
    variants["bare app, same body"] = (baseline.make_app(body), scope)

    async def run() -> dict[str, float]:
        best: dict[str, float] = {}
        for app, scope in variants.values():  # warm-up: caches, rendered body
            await _per_request_us(app, scope, 200)
        for _ in range(rounds):
            for name, (app, scope) in variants.items():
                us = await _per_request_us(app, scope, requests)
                best[name] = min(best.get(name, us), us)
        return best

    return asyncio.run(run())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulator.bench.inprocess")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--requests", type=int, default=1000, help="per variant per round")
    args = parser.parse_args(argv)
    best = measure(args.rounds, args.requests)
    bare = best["bare app, same body"]
    print(
        f"GET /data/v3/sessions/{{id}} in-process, CPU per request "
        f"(min of {args.rounds} rounds x {args.requests} requests):"
    )
    for name, us in best.items():
        print(f"  {name:36s} {us:7.1f} us  {us / bare:5.2f}x the bare app")
    return 0


if __name__ == "__main__":
    sys.exit(main())
