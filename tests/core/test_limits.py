"""BodyLimitMiddleware as a bare ASGI app: what it counts, cuts off, times out and charges."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse
from starlette.types import Message, Receive, Scope, Send

from emulator.core.errors import ControlShape, EmulatorError
from emulator.core.limits import SPOOL_BYTES, BodyBudget, BodyLimitMiddleware, BodyPolicy, spool

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


def _middleware(
    inner: Callable[[Receive], Awaitable[None]],
    *,
    limit: int = LIMIT,
    deadline: float = 60.0,
    budget: BodyBudget | None = None,
    spooled: bool = False,
) -> BodyLimitMiddleware:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if spooled:
            spool(scope)
        await inner(receive)

    return BodyLimitMiddleware(
        app,
        limit_for=lambda path: BodyPolicy(limit, SHAPE),
        render=lambda scope, exc: JSONResponse(exc.to_body(), status_code=exc.status_code),
        body_timeout=TIMEOUT,
        body_deadline=deadline,
        budget=budget or BodyBudget(1 << 30),
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


def test_a_body_that_trickles_past_the_deadline_gets_408() -> None:
    """Never silent for ``body_timeout``, yet never finished: the total deadline ends it."""

    async def trickle() -> Message:
        await asyncio.sleep(TIMEOUT / 5)
        return {"type": "http.request", "body": b"x", "more_body": True}

    received: list[int] = []

    async def inner(receive: Receive) -> None:
        while True:
            received.append(len((await receive())["body"]))

    scope = _scope((b"transfer-encoding", b"chunked"))
    with pytest.raises(EmulatorError) as caught:
        asyncio.run(_middleware(inner, deadline=TIMEOUT * 3)(scope, trickle, _nothing))
    assert caught.value.status_code == 408
    assert len(received) > 3  # it did keep trickling past several body timeouts


def test_the_budget_refuses_a_declared_body_before_reading_it_and_says_when_to_retry() -> None:
    budget = BodyBudget(150)
    budget.take(100)  # another request holds 100 bytes
    reads: list[str] = []

    async def inner(receive: Receive) -> None:
        reads.append("asked")
        await receive()

    scope = _scope((b"content-length", b"60"))
    chunk = {"type": "http.request", "body": b"x" * 60, "more_body": False}
    with pytest.raises(EmulatorError) as caught:
        asyncio.run(_middleware(inner, budget=budget)(scope, _feed(chunk), _nothing))
    assert (caught.value.status_code, caught.value.headers) == (503, {"Retry-After": "1"})
    assert (budget.used, budget.refused) == (100, 1)  # nothing of it kept


def test_a_chunked_body_is_charged_as_it_arrives_and_released_after() -> None:
    budget = BodyBudget(1000)
    seen: list[int] = []

    async def inner(receive: Receive) -> None:
        for _ in range(3):
            await receive()
            seen.append(budget.used)

    chunk = {"type": "http.request", "body": b"x" * 30, "more_body": True}
    last = {"type": "http.request", "body": b"x" * 30, "more_body": False}
    scope = _scope((b"transfer-encoding", b"chunked"))
    asyncio.run(_middleware(inner, budget=budget)(scope, _feed(chunk, chunk, last), _nothing))
    assert seen == [30, 60, 90]
    assert (budget.used, budget.peak) == (0, 90)


def test_a_spooled_body_is_charged_at_most_the_spool_size() -> None:
    budget = BodyBudget(4 * SPOOL_BYTES)
    seen: list[int] = []
    big = 3 * SPOOL_BYTES

    async def inner(receive: Receive) -> None:
        await receive()
        seen.append(budget.used)

    scope = _scope((b"content-length", str(big).encode()))
    body = {"type": "http.request", "body": b"x" * big, "more_body": False}
    asyncio.run(
        _middleware(inner, limit=big, budget=budget, spooled=True)(scope, _feed(body), _nothing)
    )
    assert seen == [SPOOL_BYTES]
    assert budget.used == 0


def test_a_client_gone_mid_body_is_a_debug_line_not_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def inner(receive: Receive) -> None:
        await receive()
        raise ClientDisconnect()

    scope = _scope((b"content-length", b"50"))
    first = {"type": "http.request", "body": b"x" * 10, "more_body": True}
    with caplog.at_level("DEBUG", logger="emulator.core.limits"):
        asyncio.run(_middleware(inner)(scope, _feed(first), _nothing))
    assert [r.levelname for r in caplog.records] == ["DEBUG"]
    assert "went away" in caplog.records[0].getMessage()
