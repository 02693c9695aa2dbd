"""What both control clients share: their settings, how a ``Call`` becomes request
arguments, how an answer becomes a result or a ``ControlAPIError``, and how a client is
bound to another tenant. The twins add only the sending (blocking or awaited)."""

from __future__ import annotations

import copy
import json
from typing import Any, Self, TypeVar

import httpx

from emulator.client.calls import NO_BODY, Call
from emulator.client.errors import ControlAPIError

T = TypeVar("T")
DEFAULT_TIMEOUT = 10.0


def _tenant(api_key: str | None) -> str | None:
    if api_key == "":
        raise ValueError("api_key must not be empty; leave it out to name no tenant")
    return api_key


class ClientBase:
    """Settings of a control client: where, which token, which tenant by default."""

    def __init__(
        self, base_url: str, token: str | None, api_key: str | None, timeout: float
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must be an http(s) URL, not {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.api_key = _tenant(api_key)
        self.timeout = timeout
        # False on a with_api_key twin: the connections are the original client's to close.
        self._owns_http = True

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def _rebound(self, api_key: str | None) -> Self:
        """``with_api_key``: a shallow copy (sharing the HTTP client) naming another tenant."""
        twin = copy.copy(self)
        twin.api_key, twin._owns_http = _tenant(api_key), False
        return twin

    def _arguments(self, call: Call[Any]) -> dict[str, Any]:
        headers: dict[str, str] = {}
        tenant = call.api_key if call.api_key is not None else self.api_key
        if tenant is not None and call.tenant:
            headers["X-API-Key"] = tenant
        arguments: dict[str, Any] = {
            "method": call.method,
            "url": call.path,
            "params": call.params or None,
            "headers": headers,
            "timeout": self.timeout + call.extra_timeout,
        }
        if call.body is not NO_BODY:
            arguments["content"] = json.dumps(call.body).encode()
            headers["Content-Type"] = "application/json"
        return arguments

    def _answer(self, call: Call[T], response: httpx.Response) -> T:
        body: Any = None
        if response.content:
            try:
                body = response.json()
            except ValueError:
                body = response.text
        if not response.is_success:
            raise ControlAPIError(call.method, str(response.url), response.status_code, body)
        return call.read(body)
