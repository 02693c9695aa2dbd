"""The fault middleware: applies the rule list (``emulator.core.faults``) to requests.

It delays, answers in the addressed vendor's error shape, or drops the connection, as
the first matching rule that fires says; control requests (``/_emulator``) are exempt.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Callable

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.core.errors import ErrorShape
from emulator.core.fault_rules import FaultRule
from emulator.core.faults import Faults
from emulator.core.headers import header

CONTROL_PREFIX = "/_emulator"


class DroppedConnection(ConnectionResetError):
    """Raised where the server offers no socket to close (in-process test transports).

    Over a real socket a ``drop`` closes the connection and nothing is raised; an
    in-process client (Starlette's TestClient, httpx.ASGITransport) has no connection
    to lose, so it sees this exception instead, which is the nearest equivalent.
    """


class FaultMiddleware:
    """Applies ``Faults`` to vendor requests; sits just inside the journal middleware.

    It must see uvicorn's own ``receive`` (to find the socket for ``drop``), so no
    middleware that wraps ``receive`` may sit outside it.
    """

    def __init__(
        self,
        app: ASGIApp,
        faults: Faults,
        seed: Callable[[], int],
        shape_for: Callable[[str], ErrorShape],
    ) -> None:
        self.app = app
        self.faults = faults
        self.seed = seed
        self.shape_for = shape_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not len(self.faults):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        decision = None
        if not path.startswith(CONTROL_PREFIX):
            decision = self.faults.evaluate(
                scope["method"], path, header(scope, b"x-api-key"), self.seed()
            )
        if decision is None:
            await self.app(scope, receive, send)
            return
        # The journal (outside us) reads this after the request, whatever happens next.
        scope.setdefault("state", {})["fault"] = decision.mark
        if decision.latency_ms:
            await asyncio.sleep(decision.latency_ms / 1000.0)
        rule = decision.terminal
        if rule is None:
            await self.app(scope, receive, send)
        elif rule.action == "drop":
            if rule.phase == "response":
                await self.app(scope, receive, _swallow)
            await _drop(receive, rule)
        else:
            await self._answer(path, rule)(scope, receive, send)

    def _answer(self, path: str, rule: FaultRule) -> ASGIApp:
        assert rule.status is not None
        exc = self.shape_for(path).custom(path, rule.status, rule.code)
        headers = dict(exc.headers)
        if rule.action == "throttle":
            headers["Retry-After"] = str(rule.retry_after)
        headers.update(rule.headers)
        body = exc.to_body() if rule.body is None else rule.body
        return JSONResponse(body, status_code=rule.status, headers=headers)


async def _swallow(message: Message) -> None:
    """Throws a handled request's response away (``drop`` in the response phase)."""


async def _drop(receive: Receive, rule: FaultRule) -> None:
    """Close the client's connection without a byte of response.

    No ASGI server hands the app its socket, but uvicorn's ``receive`` is a bound
    method of its request cycle, which holds the asyncio transport. Closing that
    transport (FIN; with ``SO_LINGER=0`` a TCP RST) is the only way found that gives
    the client a connection error rather than a 500, under both httptools and h11,
    with uvloop or asyncio (verified by tests/core/test_faults.py). Starting a response and
    raising also breaks the connection, but uvicorn logs a traceback per request and
    the client sees a status line first.
    """
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if transport is None or not hasattr(transport, "close"):
        raise DroppedConnection(f"connection dropped by fault rule {rule.id}")
    if rule.mode == "reset":
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.close()
    # Wait until the server has seen the connection go (http.disconnect); returning
    # earlier makes uvicorn log "returned without starting response" and try a 500.
    for _ in range(64):
        try:
            message = await asyncio.wait_for(receive(), 1.0)
        except TimeoutError:
            return
        if message["type"] == "http.disconnect":
            return
