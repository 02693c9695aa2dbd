"""Wiring: every error leaves as JSON in the addressed API's shape, never HTML."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.settings import AsleepSettings, Settings


@pytest.mark.parametrize(
    ("method", "path", "status", "body"),
    [
        ("GET", "/ai/v1/no-such-thing", 404, {"detail": "Not Found"}),
        ("GET", "/data/v9/x", 404, {"detail": "Not Found"}),
        ("POST", "/v1/no-such-thing", 404, {"error": "path_not_found"}),
        ("GET", "/v2/no-such-thing", 404, {"message": "path_not_found"}),
        ("GET", "/v2", 404, {"message": "path_not_found"}),
    ],
)
def test_unknown_routes_answer_in_the_vendor_shape(
    emulator_client: TestClient, method: str, path: str, status: int, body: dict[str, str]
) -> None:
    r = emulator_client.request(method, path)
    assert r.status_code == status
    assert r.headers["content-type"] == "application/json"
    assert r.json() == body


def test_unaddressed_paths_say_where_the_apis_live(emulator_client: TestClient) -> None:
    r = emulator_client.get("/favicon.ico")
    assert r.status_code == 404
    assert r.json()["error"] == "not_found"
    message = r.json()["message"]
    assert "Asleep under /ai/ and /data/" in message
    assert "Kintsugi Voice under /v1/ and /v2/" in message
    assert "/_emulator" in message


def _app_with(routes: list[Route], settings: Settings | None = None) -> Starlette:
    app = create_app(settings)
    app.router.routes.extend(routes)
    return app


async def _boom(request: Request) -> Response:
    raise RuntimeError("kaboom")


async def _echo_size(request: Request) -> Response:
    return JSONResponse({"size": len(await request.body())})


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/ai/v1/boom", {"detail": "Internal Server Error"}),
        ("/v1/boom", {"error": "internal_server_error"}),
        ("/v2/boom", {"message": "internal_server_error"}),
    ],
)
def test_crashes_are_logged_and_answered_as_vendor_500s(
    path: str, body: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    app = _app_with([Route(path, _boom)])
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get(path)
    assert r.status_code == 500
    assert r.json() == body
    assert "kaboom" not in r.text
    assert any("unhandled error" in rec.message for rec in caplog.records)


def test_wrong_method_on_a_vendor_route() -> None:
    app = _app_with([Route("/ai/v1/echo", _echo_size, methods=["POST"])])
    with TestClient(app) as client:
        r = client.get("/ai/v1/echo")
    assert r.status_code == 405
    assert r.json() == {"detail": "Method Not Allowed"}
    assert r.headers["allow"] == "POST"


def _small_cap() -> Settings:
    return Settings(asleep=AsleepSettings(max_body_bytes=1000))


def test_declared_oversize_body_is_refused_before_reading() -> None:
    app = _app_with([Route("/ai/v1/echo", _echo_size, methods=["POST"])], _small_cap())
    with TestClient(app) as client:
        r = client.post("/ai/v1/echo", content=b"x" * 1001)
        ok = client.post("/ai/v1/echo", content=b"x" * 1000)
    assert r.status_code == 413
    assert r.json() == {"detail": "HTTP length exceeded 1000 bytes"}
    assert ok.json() == {"size": 1000}


def test_streamed_body_is_cut_off_at_the_cap() -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(50):
            yield b"y" * 100

    app = _app_with([Route("/ai/v1/echo", _echo_size, methods=["POST"])], _small_cap())
    with TestClient(app) as client:
        r = client.post("/ai/v1/echo", content=chunks())
    assert r.status_code == 413
    assert r.json() == {"detail": "HTTP length exceeded 1000 bytes"}


def test_state_lives_on_the_app_not_in_globals() -> None:
    a, b = create_app(Settings(seed=1)), create_app(Settings(seed=2))
    assert a.state.runtime is not b.state.runtime
    assert a.state.runtime.store.seed == 1
    assert b.state.runtime.store.seed == 2
