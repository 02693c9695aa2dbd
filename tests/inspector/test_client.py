"""The inspector's one way to its data (emulator.inspector.client) and the journal's
event stream (emulator.inspector.journal)."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from emulator.core.browser import SESSION_COOKIE
from emulator.inspector import journal
from emulator.inspector.calls import Call
from emulator.inspector.client import ControlCallError, ControlClient


async def echo(request: Request) -> Response:
    raw = await request.body()
    return JSONResponse(
        {
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query,
            "authorization": request.headers.get("authorization"),
            "x-api-key": request.headers.get("x-api-key"),
            "content-type": request.headers.get("content-type"),
            "body": raw.decode(),
        }
    )


async def refuse(request: Request) -> Response:
    return JSONResponse({"error": "not_found", "message": "no such thing"}, status_code=404)


async def broken(request: Request) -> Response:
    return PlainTextResponse("oops", status_code=502)


async def ask(request: Request) -> Response:
    client = ControlClient(request)
    target = request.query_params.get("target", "/echo/x y")
    try:
        params = {"a": 1, "skip": None, "flag": True}
        answer = await client.call(Call("PUT", target, params, body={"n": 1}, tenant="team-k"))
    except ControlCallError as exc:
        return JSONResponse({"status": exc.status, "error": exc.error, "message": exc.message})
    return JSONResponse(answer)


APP = Starlette(
    routes=[
        Route("/echo/{rest:path}", echo, methods=["PUT"]),
        Route("/refuse", refuse, methods=["PUT"]),
        Route("/broken", broken, methods=["PUT"]),
        Route("/ask", ask),
    ]
)


def test_a_call_goes_in_process_as_the_caller() -> None:
    with TestClient(APP) as client:
        seen = client.get("/ask", headers={"authorization": "Bearer t0ken"}).json()
    assert seen == {
        "method": "PUT",
        "path": "/echo/x y",
        "query": "a=1&flag=true",
        "authorization": "Bearer t0ken",
        "x-api-key": "team-k",
        "content-type": "application/json",
        "body": '{"n":1}',
    }


def test_a_login_cookie_travels_as_a_bearer_token() -> None:
    with TestClient(APP, cookies={SESSION_COOKIE: "from-cookie"}) as client:
        assert client.get("/ask").json()["authorization"] == "Bearer from-cookie"
    with TestClient(APP) as client:
        assert client.get("/ask").json()["authorization"] is None


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/refuse", {"status": 404, "error": "not_found", "message": "no such thing"}),
        ("/broken", {"status": 502, "error": "error", "message": "PUT /broken answered 502"}),
    ],
)
def test_refusals_become_control_call_errors(target: str, expected: dict[str, Any]) -> None:
    with TestClient(APP) as client:
        assert client.get("/ask", params={"target": target}).json() == expected


def test_a_call_is_its_curl_line() -> None:
    call = Call("POST", "/_emulator/faults", params={"api_key": "k k"}, body={"path": "it's"})
    assert call.curl("http://127.0.0.1:8080/") == (
        "curl -sS -X POST 'http://127.0.0.1:8080/_emulator/faults?api_key=k+k' "
        "-H 'content-type: application/json' -d '{\"path\": \"it'\"'\"'s\"}'"
    )
    assert Call("GET", "/_emulator/clock", tenant="t").curl("http://h", token=True) == (
        "curl -sS http://h/_emulator/clock -H 'x-api-key: t' "
        '-H "Authorization: Bearer $EMULATOR_CONTROL_TOKEN"'
    )


class FakeControl:
    """Answers ``GET /_emulator/requests`` from a script of journal pages."""

    def __init__(self, pages: list[dict[str, Any]]) -> None:
        self.pages = pages
        self.asked: list[dict[str, Any]] = []

    async def get(self, path: str, *, params: dict[str, Any], tenant: str | None = None) -> Any:
        self.asked.append(params)
        return self.pages.pop(0) if self.pages else {"last_id": 9, "requests": []}


def _entry(n: int) -> dict[str, Any]:
    return {
        "id": n, "time": "2025-03-01T12:00:00+00:00", "method": "GET", "path": f"/v2/x{n}",
        "query": "", "status": 200, "duration_ms": 1.0, "api_key": "k…0000",
        "vendor": "kintsugi", "fault": None, "request_headers": [], "response_headers": [],
        "request_body": {"content_type": None, "length": None},
        "response_body": {"content_type": None, "length": 0, "excerpt": None},
    }  # fmt: skip


def test_the_stream_sends_only_what_is_new_newest_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(journal, "POLL_SECONDS", 0.0)
    fake = FakeControl(
        [
            {"last_id": 7, "requests": [_entry(6), _entry(7)]},
            {"last_id": 8, "requests": []},  # a request the filters keep out
            {"last_id": 9, "requests": [_entry(9)]},
        ]
    )

    async def take(n: int) -> list[str]:
        stream = journal._events(cast(ControlClient, fake), {"path_prefix": "/v2/"}, 5)
        found = [await anext(stream) for _ in range(n)]
        await stream.aclose()
        return found

    events = asyncio.run(take(4))
    assert events[0].startswith("retry: ")
    assert events[1].startswith("id: 7\nevent: rows\ndata: ")
    assert events[1].index("/v2/x7") < events[1].index("/v2/x6")
    assert events[2] == "id: 8\n: nothing matching\n\n"
    assert events[3].startswith("id: 9\nevent: rows\n")
    assert [a["after"] for a in fake.asked] == [5, 7, 8]
    assert all(a["path_prefix"] == "/v2/" and a["detail"] is True for a in fake.asked)
    assert all(line.startswith(("id:", "event:", "data:")) for line in events[1].splitlines()[:-1])
