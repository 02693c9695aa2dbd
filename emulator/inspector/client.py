"""The inspector's one way to its data: the control API, called in-process.

Every page reads and changes the emulator only through ``/_emulator/...`` endpoints,
exactly as a test suite or ``curl`` would: the same validation, the same answers,
the same access rules. The call goes straight into the app's ASGI stack (no socket,
no HTTP client): the middlewares see an ordinary request, response self-validation
included.

The caller's credentials travel with each call (``Credentials``): the
``Authorization`` header of the page request, or the control token a login form
keeps in the ``emulator_control`` cookie, sent on as ``Authorization: Bearer``. A
tenant is named per call with ``x-api-key``, as the control API expects. Nothing
else in the inspector touches the runtime.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.types import ASGIApp, Message

from emulator.core.browser import SESSION_COOKIE
from emulator.inspector.calls import Call, Params, query_string


@dataclass(frozen=True, slots=True)
class Credentials:
    """What the page request carried that the control API may ask for."""

    authorization: str | None = None

    @classmethod
    def of(cls, request: Request) -> Credentials:
        given = request.headers.get("authorization")
        if given:
            return cls(given)
        token = request.cookies.get(SESSION_COOKIE)
        return cls(f"Bearer {token}" if token else None)

    def headers(self) -> list[tuple[bytes, bytes]]:
        if self.authorization is None:
            return []
        return [(b"authorization", self.authorization.encode("latin-1"))]


class ControlCallError(Exception):
    """The control API refused a call: its status and ``{"error", "message"}``."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class ControlClient:
    """Calls ``/_emulator`` endpoints of the app serving ``request``, as its caller."""

    def __init__(self, request: Request) -> None:
        self._app: ASGIApp = request.scope["app"]
        self._state = request.scope.get("state")
        self._host = request.headers.get("host", "127.0.0.1")
        self._server = request.scope.get("server")
        self.credentials = Credentials.of(request)

    async def get(
        self, path: str, *, params: Params | None = None, tenant: str | None = None
    ) -> Any:
        return await self.call(Call("GET", path, params, tenant=tenant))

    async def call(self, call: Call) -> Any:
        """The JSON answer of a 2xx; ``ControlCallError`` for anything else."""
        answer = await self.send(call)
        if 200 <= answer.status < 300:
            return answer.json()
        try:
            problem = answer.json()
        except ValueError:
            problem = None
        if isinstance(problem, dict) and isinstance(problem.get("message"), str):
            raise ControlCallError(answer.status, str(problem.get("error")), problem["message"])
        what = f"{call.method} {call.path} answered {answer.status}"
        raise ControlCallError(answer.status, "error", what)

    async def send(self, call: Call) -> Answer:
        """One call, whatever its status."""
        headers = [(b"host", self._host.encode("latin-1")), *self.credentials.headers()]
        if call.tenant is not None:
            headers.append((b"x-api-key", call.tenant.encode("utf-8")))
        raw = b""
        if call.body is not None:
            raw = json.dumps(call.body, separators=(",", ":")).encode()
            headers.append((b"content-type", b"application/json"))
            headers.append((b"content-length", str(len(raw)).encode()))
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": call.method,
            "scheme": "http",
            "path": call.path,
            "raw_path": quote(call.path).encode("ascii"),
            "query_string": query_string(call.params).encode("ascii"),
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 0),
            "server": self._server,
            "state": dict(self._state or {}),
        }
        return await _asgi_call(self._app, scope, raw)


async def _asgi_call(app: ASGIApp, scope: dict[str, Any], body: bytes) -> Answer:
    done = asyncio.Event()
    given = False
    status = 500
    chunks: list[bytes] = []

    async def receive() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        await done.wait()  # a handler listening for a disconnect hears it at the end
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                done.set()

    try:
        await app(scope, receive, send)
    finally:
        done.set()
    return Answer(status, b"".join(chunks))
