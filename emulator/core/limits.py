"""Request-body limits, enforced while the body streams in.

A declared ``Content-Length`` over the cap is refused before one byte is read; a
chunked or lying body is counted as it arrives and cut off at the cap, so one request
never makes the server hold more than the cap (asleep-api.md §2.4: Asleep answers 413
``HTTP length exceeded 16777216 bytes``). A client that stalls mid-body gets a 408
instead of holding a worker forever.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.core.errors import EmulatorError, ErrorShape

Render = Callable[[Scope, EmulatorError], ASGIApp]


class BodyLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        limit_for: Callable[[str], tuple[int, ErrorShape]],
        render: Render,
        body_timeout: float,
    ) -> None:
        self.app = app
        self.limit_for = limit_for
        self.render = render
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared, chunked = _body_headers(scope)
        if not declared and not chunked:
            # No body is coming (RFC 9112 §6.3): nothing to count or to wait for. Most
            # requests are like this (every GET), so they skip the wrapping below.
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit, shape = self.limit_for(path)
        if declared is not None and declared > limit:
            await self.render(scope, shape.payload_too_large(path, limit))(scope, receive, send)
            return
        received = 0
        complete = False

        async def counted() -> Message:
            nonlocal received, complete
            if complete:
                # After the body only ``http.disconnect`` is left, and waiting for it
                # is no stall: pass it through untimed.
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.body_timeout)
            except TimeoutError:
                raise shape.request_timeout(path) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise shape.payload_too_large(path, limit)
                complete = not message.get("more_body", False)
            return message

        await self.app(scope, counted, send)


def _body_headers(scope: Scope) -> tuple[int | None, bool]:
    """The declared ``Content-Length`` (None if absent or unreadable) and whether the
    body is chunked (any ``Transfer-Encoding``)."""
    declared: int | None = None
    chunked = False
    for key, value in scope.get("headers", ()):
        if key == b"content-length":
            try:
                declared = int(value)
            except ValueError:
                declared = None
                chunked = True  # unreadable: count what arrives rather than trust it
        elif key == b"transfer-encoding":
            chunked = True
    return declared, chunked
