"""BodyLimitMiddleware as a bare ASGI app: what it counts, cuts off and times out."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from starlette.responses import JSONResponse
from starlette.types import Message, Receive, Scope, Send

from emulator.core.errors import ControlShape, EmulatorError
from emulator.core.limits import BodyLimitMiddleware

SHAPE = ControlShape()
LIMIT = 100
TIMEOUT = 0.05


def _scope(*headers: tuple[bytes, bytes]) -> Scope:
    return {"type": "http", "method": "POST", "path": "/x", "headers": list(headers)}


def _feed(*messages: Message) -> Receive:
    """Hands out ``messages``, then waits forever (a client that says nothing more)."""
    queue = list(messages)

    async def receive() -> Message:
        if queue:
            return queue.pop(0)
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    return receive


def _middleware(inner: Callable[[Receive], Awaitable[None]]) -> BodyLimitMiddleware:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await inner(receive)

    return BodyLimitMiddleware(
        app,
        limit_for=lambda path: (LIMIT, SHAPE),
        render=lambda scope, exc: JSONResponse(exc.to_body(), status_code=exc.status_code),
        body_timeout=TIMEOUT,
    )


async def _nothing(message: Message) -> None:
    pass


def test_a_request_without_a_body_gets_the_servers_receive_untouched() -> None:
    original = _feed({"type": "http.request", "body": b"", "more_body": False})
    seen: list[Receive] = []

    async def inner(receive: Receive) -> None:
        seen.append(receive)

    for headers in [(), ((b"content-length", b"0"),)]:
        asyncio.run(_middleware(inner)(_scope(*headers), original, _nothing))
    assert seen == [original, original]


def test_a_declared_oversize_body_is_refused_before_the_app_runs() -> None:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def inner(receive: Receive) -> None:
        raise AssertionError("the app must not run")

    scope = _scope((b"content-length", str(LIMIT + 1).encode()))
    asyncio.run(_middleware(inner)(scope, _feed(), send))
    assert sent[0]["status"] == 413


@pytest.mark.parametrize("header", [(b"transfer-encoding", b"chunked"), (b"content-length", b"10")])
def test_a_body_longer_than_the_cap_is_cut_off_as_it_arrives(header: tuple[bytes, bytes]) -> None:
    chunk = {"type": "http.request", "body": b"x" * 60, "more_body": True}

    async def inner(receive: Receive) -> None:
        while True:
            await receive()

    with pytest.raises(EmulatorError) as caught:
        asyncio.run(_middleware(inner)(_scope(header), _feed(chunk, chunk), _nothing))
    assert caught.value.status_code == 413


def test_a_body_that_stalls_midway_times_out_with_408() -> None:
    first = {"type": "http.request", "body": b"x" * 10, "more_body": True}

    async def inner(receive: Receive) -> None:
        await receive()
        await receive()  # the rest never comes

    scope = _scope((b"content-length", b"50"))
    with pytest.raises(EmulatorError) as caught:
        asyncio.run(_middleware(inner)(scope, _feed(first), _nothing))
    assert caught.value.status_code == 408


def test_waiting_for_the_disconnect_after_the_body_is_not_a_stall() -> None:
    whole = {"type": "http.request", "body": b"x" * 10, "more_body": False}
    outcome: list[str] = []

    async def inner(receive: Receive) -> None:
        assert (await receive())["body"] == b"x" * 10
        try:
            # Longer than the body timeout: a 408 here would be wrong.
            await asyncio.wait_for(receive(), TIMEOUT * 4)
        except TimeoutError:
            outcome.append("still waiting, no 408")

    scope = _scope((b"content-length", b"10"))
    asyncio.run(_middleware(inner)(scope, _feed(whole), _nothing))
    assert outcome == ["still waiting, no 408"]
