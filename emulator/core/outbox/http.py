"""Sending one callback over HTTP: the shared client, the hard timeout, the outcome.

Connection errors, timeouts and any non-2xx status (redirects are not followed) make
a failed ``Attempt`` that says why; the receiver's answer is kept as a short excerpt.
A host outside ``webhooks.allowed_hosts`` is never called (``emulator.core.egress``).
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Final

from emulator import __version__
from emulator.core import lazy
from emulator.core.egress import AllowList, NotAllowed
from emulator.core.outbox.records import Attempt, Delivery, ErrorKind
from emulator.core.outbox.schedule import WebhookSettings

if TYPE_CHECKING:
    import httpx
else:
    # httpx costs ~90 ms to import; only the first delivery needs it.
    httpx = lazy.module("httpx")

USER_AGENT: Final = f"vendor-emulator/{__version__} (webhook)"
RESPONSE_EXCERPT_BYTES: Final = 512


class HttpSender:
    """One ``httpx.AsyncClient`` for every delivery of an outbox, made on first use."""

    def __init__(
        self, settings: WebhookSettings, transport: httpx.AsyncBaseTransport | None
    ) -> None:
        self.settings = settings
        self.transport = transport
        self._client: httpx.AsyncClient | None = None
        self._semaphore = asyncio.Semaphore(settings.concurrency)
        self._allowed = AllowList.parse(settings.allowed_hosts)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
        self._client = None

    def _http(self) -> httpx.AsyncClient:
        """The shared client, made on the first delivery: importing httpx and building
        a client cost ~0.1 s, which would otherwise come out of every start-up."""
        if self._client is None:
            self._client = httpx.AsyncClient(
                transport=self.transport,
                timeout=httpx.Timeout(self.settings.timeout_seconds),
                limits=httpx.Limits(
                    max_connections=self.settings.concurrency,
                    max_keepalive_connections=self.settings.concurrency,
                ),
                follow_redirects=False,
                headers={"User-Agent": USER_AGENT},
            )
        return self._client

    async def send(self, delivery: Delivery, number: int, started_at: float) -> Attempt:
        semaphore = self._semaphore
        client = self._http()
        timeout = self.settings.timeout_seconds
        async with semaphore:
            t0 = time.perf_counter()
            status: int | None = None
            excerpt: str | None = None
            error: str | None = None
            kind: ErrorKind | None = None
            try:
                # httpx's timeout is per phase; this one bounds the whole call.
                async with asyncio.timeout(timeout):
                    target = await self._allowed.target(delivery.url)
                    request = client.build_request(
                        "POST",
                        target.url,
                        content=delivery.body,
                        headers={**delivery.headers, **target.headers},
                        extensions=target.extensions,
                    )
                    response = await client.send(request, stream=True)
                    try:
                        status = response.status_code
                        excerpt = await _excerpt(response)
                    finally:
                        await response.aclose()
            except NotAllowed as exc:
                error, kind = str(exc), "invalid_url"
            except (TimeoutError, httpx.TimeoutException):
                error, kind = f"no response within {timeout:g} s", "timeout"
            except httpx.ConnectError as exc:
                error, kind = f"connection failed: {_root_cause(exc)}", "connect"
            except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
                error, kind = f"invalid callback URL: {exc}", "invalid_url"
            except httpx.HTTPError as exc:
                error, kind = f"{type(exc).__name__}: {exc}", "transport"
            except OSError as exc:  # the allow-list's own lookup of the host
                error, kind = f"connection failed: {exc}", "connect"
            latency_ms = (time.perf_counter() - t0) * 1000
        if error is None and status is not None and not 200 <= status < 300:
            error, kind = f"receiver answered HTTP {status}", "http_status"
        return Attempt(
            number,
            started_at,
            latency_ms,
            "delivered" if error is None else "failed",
            status=status,
            error=error,
            error_kind=kind,
            response_excerpt=excerpt,
        )


def _root_cause(exc: BaseException) -> str:
    """The most specific reason behind a connection error: httpx says "All connection
    attempts failed"; the OSError under it says "[Errno 111] Connect call failed ..."."""
    found: BaseException = exc
    current: BaseException = exc
    for _ in range(10):  # the chain is short; the bound only guards against cycles
        below = current.__cause__ or current.__context__
        if below is None:
            break
        current = below
        if isinstance(current, OSError) and current.errno is not None:
            found = current
    return str(found) or type(found).__name__


async def _excerpt(response: httpx.Response) -> str | None:
    """The first bytes of the receiver's answer, for the log; never the whole body."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= RESPONSE_EXCERPT_BYTES:
            break
    if not chunks:
        return None
    return b"".join(chunks)[:RESPONSE_EXCERPT_BYTES].decode("utf-8", "replace")
