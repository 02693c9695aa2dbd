"""IndexedRouter: a request reaches the route the full, ordered route list would pick."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.routing import BaseRoute, Match, Route
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.core.routing import (
    IndexedRouter,
    could_match,
    literal_prefix,
    path_key,
    route_path,
)

_ROUTER = create_app().router
assert isinstance(_ROUTER, IndexedRouter)
ROUTER: IndexedRouter = _ROUTER
assert isinstance(ROUTER, IndexedRouter)
ROUTES: list[BaseRoute] = list(ROUTER.routes)
TEMPLATES = [r.path for r in ROUTES if isinstance(r, Route)]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]

segment = st.text(alphabet="abcXYZ019_-.~%:\n é", min_size=0, max_size=12)


def _scope(method: str, path: str) -> dict[str, object]:
    return {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}


def _pick(routes: list[BaseRoute], method: str, path: str) -> tuple[str, BaseRoute | None]:
    """What Starlette's Router.app decides: the first full match, else the first
    partial one (a 405), else nothing (a 404)."""
    partial = None
    for route in routes:
        match, _ = route.matches(_scope(method, path))
        if match is Match.FULL:
            return "full", route
        if match is Match.PARTIAL and partial is None:
            partial = route
    return ("partial", partial) if partial is not None else ("none", None)


@st.composite
def paths(draw: st.DrawFn) -> str:
    """Real route templates with their parameters filled in, sometimes bent out of
    shape (a segment more or less, a trailing slash), and arbitrary paths."""
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return "/" + "/".join(draw(st.lists(segment, max_size=5)))
    template = draw(st.sampled_from(TEMPLATES))
    filled = re.sub(r"\{[^}]+\}", lambda _: draw(segment.filter(bool)), template)
    if kind == 2:
        filled += draw(st.sampled_from(["/", "/x", "/x/y"]))
    if kind == 3:
        filled = filled.rsplit("/", 1)[0] or "/"
    return filled


@given(paths(), st.sampled_from(METHODS))
def test_the_bucket_decides_as_the_full_list_would(path: str, method: str) -> None:
    bucket = ROUTER.bucket(path_key(path))
    assert _pick(list(bucket.routes), method, path) == _pick(ROUTES, method, path)


slashy = st.text(alphabet="ab/é\n", max_size=20)


@given(slashy, slashy)
def test_a_route_is_only_left_out_when_it_cannot_match(prefix: str, tail: str) -> None:
    # Soundness of the index: any path starting with a route's literal prefix keeps
    # that route among its candidates.
    path = "/" + prefix + tail
    assert could_match("/" + prefix, path_key(path))


def test_keys_are_the_first_two_segments() -> None:
    assert path_key("/data/v3/sessions/abc") == "/data/v3"
    assert path_key("/v1/predict") == "/v1/predict"
    assert path_key("/v2") == "/v2"
    assert path_key("/") == "/"
    assert literal_prefix(Route("/data/v3/sessions/{id}", lambda r: None)) == "/data/v3/sessions/"


def test_routes_added_after_start_up_are_found() -> None:
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse

    async def late(request: Request) -> PlainTextResponse:
        return PlainTextResponse("late")

    app = create_app()
    with TestClient(app) as client:
        assert client.get("/v1/late-route").status_code == 404  # indexes the key /v1/late-route
        app.router.routes.append(Route("/v1/late-route", late))
        assert client.get("/v1/late-route").text == "late"


def test_the_bucket_cache_is_bounded() -> None:
    router = IndexedRouter(ROUTES, redirect_slashes=False)
    for n in range(2000):
        router.bucket(f"/made-up-{n}/x")
    assert len(router._buckets) <= 512


@pytest.mark.parametrize(
    ("path", "root", "expected"),
    [
        ("/data/v3/x", "", "/data/v3/x"),
        ("/api/data/v3/x", "/api", "/data/v3/x"),
        ("/api", "/api", ""),
        ("/apiary/x", "/api", "/apiary/x"),  # not below the root: left alone
        ("/other", "/api", "/other"),
    ],
)
def test_route_path_strips_the_root_path_as_starlette_routes_do(
    path: str, root: str, expected: str
) -> None:
    assert route_path({"type": "http", "path": path, "root_path": root}) == expected
