"""``vendor-emulator record``: a recording proxy in front of the real vendor.

    vendor-emulator record --upstream https://api.example.com --out DIR [--host --port]

Point a client (its base URL) at the proxy: every request is forwarded to
``--upstream`` unchanged and the answer handed back unchanged, and each exchange is
stored in ``DIR`` with API keys, user ids and audio redacted (``emulator.bench.redact``;
the format is ``emulator.bench.exchange``). The first line printed says where the proxy
listens. ``vendor-emulator drift DIR --target URL`` replays the recording against an
emulator (docs/drift.md).
"""

from __future__ import annotations

import itertools
import json
import socket
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from emulator import __version__
from emulator.bench.redact import Redactor
from emulator.core.sockets import bind

# Hop-by-hop and framing headers are the proxy's own business on each side (RFC 9110 §7.6.1).
HOP_BY_HOP: Final = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "content-encoding",
    }
)
UPSTREAM_TIMEOUT: Final = 120.0


class Recorder:
    """The proxy's ASGI app: forward, answer, store."""

    def __init__(
        self, upstream: str, out: Path, *, keep_audio: bool = False, transport: Any = None
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.out = out
        self.redactor = Redactor(keep_audio=keep_audio)
        self._steps = itertools.count(1)
        self._client = httpx.AsyncClient(
            base_url=self.upstream, timeout=UPSTREAM_TIMEOUT, transport=transport
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        response = await self._exchange(Request(scope, receive))
        await response(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _exchange(self, request: Request) -> Response:
        step = next(self._steps)
        body = await request.body()
        headers = [(k, v) for k, v in request.headers.items() if k not in HOP_BY_HOP]
        path = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
        query = request.scope.get("query_string", b"").decode("latin-1")
        target = path + (f"?{query}" if query else "")
        try:
            answer = await self._client.request(
                request.method, target, headers=headers, content=body
            )
        except httpx.HTTPError as exc:
            print(f"step {step}: upstream unreachable: {exc!r}", file=sys.stderr, flush=True)
            return JSONResponse(
                {"error": "upstream_unreachable", "message": f"{self.upstream}: {exc!r}"},
                status_code=502,
            )
        asked = {k.lower(): v for k, v in request.headers.items()}
        answered = {k.lower(): v for k, v in answer.headers.items()}
        pairs = request.query_params.multi_items()
        stored = {
            "step": step,
            "request": self.redactor.request(request.method, request.url.path, pairs, asked, body),
            "response": self.redactor.response(answer.status_code, answered, answer.content),
        }
        text = json.dumps(stored, indent=1, ensure_ascii=False)
        (self.out / f"{step:06d}.json").write_text(text + "\n", encoding="utf-8")
        response = Response(answer.content, status_code=answer.status_code)
        response.raw_headers += [
            (k.lower().encode("latin-1"), v.encode("latin-1"))
            for k, v in answer.headers.multi_items()
            if k.lower() not in HOP_BY_HOP
        ]
        return response


def main(argv: Sequence[str] | None = None) -> int:
    from emulator.core.config import Parser

    parser = Parser(
        prog="vendor-emulator record",
        description="Forward a client's traffic to the real vendor and record it, redacted.",
    )
    parser.add_argument("--upstream", required=True, help="the vendor's base URL")
    parser.add_argument("--out", required=True, help="directory for the recording")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: any)")
    parser.add_argument(
        "--keep-audio", action="store_true", help="store audio bytes instead of a stub"
    )
    args = parser.parse_args(argv)
    if not args.upstream.startswith(("http://", "https://")):
        parser.error(f"--upstream must be an http(s) URL, not {args.upstream!r}")
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be between 0 and 65535, not {args.port}")
    out = Path(args.out)
    if out.exists() and any(out.glob("[0-9]*.json")):
        parser.error(f"{out} already holds a recording; record into a new directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        parser.error(f"cannot make the directory {out}: {exc.strerror or exc}")
    meta = {
        "upstream": args.upstream,
        "recorded_by": f"vendor-emulator {__version__}",
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "audio": "kept" if args.keep_audio else "stubs",
    }
    (out / "recording.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    try:
        sock = bind(args.host, args.port, backlog=128)
    except OSError as exc:
        print(f"vendor-emulator record: error: cannot listen: {exc}", file=sys.stderr)
        return 2
    return serve(Recorder(args.upstream, out, keep_audio=args.keep_audio), sock, out)


def serve(app: Recorder, sock: socket.socket, out: Path) -> int:
    import uvicorn

    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    print(
        f"recording proxy listening on http://{shown}:{port}, forwarding to {app.upstream}, "
        f"writing {out}",
        flush=True,
    )
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])
    return 0
