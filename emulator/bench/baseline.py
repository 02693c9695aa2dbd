"""The benchmark's baseline: a bare Starlette + uvicorn app answering a precomputed body.

Every ratio in the benchmark compares the emulator with this app run side by side, so
the figures say what the emulator costs on top of the framework, on this machine.
Any method on any path answers the same bytes; a request body is read to its end and
dropped (no parsing), so an upload costs the baseline the transfer and nothing else.
Run as ``python -m emulator.bench.baseline --port P [--body FILE]``.
"""

from __future__ import annotations

import argparse
import socket
import sys
from collections.abc import Sequence
from typing import Any


def make_app(body: bytes) -> Any:
    """The bare app: every method on every path answers ``body``."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def answer(request: Request) -> Response:
        if request.method != "GET":  # GETs stay as bare as they can be
            async for _ in request.stream():
                pass
        return Response(body, media_type="application/json")

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return Starlette(routes=[Route("/{path:path}", answer, methods=methods)])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulator.bench.baseline")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--body", help="file whose bytes every GET answers with")
    args = parser.parse_args(argv)

    import uvicorn

    body = open(args.body, "rb").read() if args.body else b'{"status":"ok"}'  # noqa: SIM115
    app = make_app(body)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(2048)
    print(f"baseline listening on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
