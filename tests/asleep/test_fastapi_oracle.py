"""Asleep's 422 bodies against the vendor contract: what FastAPI + pydantic would answer.

The vendor's server is FastAPI (asleep-api.md §1.4, INFERRED). An oracle app serves
the emulator's own request models with FastAPI itself (the ``fastapi`` package, test
extra; a visible skip without it, a failure in CI) in the configuration docs/decisions.md chooses (a
body without Content-Type read as JSON). Random bodies and query strings then get the
same status and the same body from both.
"""

from __future__ import annotations

import importlib
import inspect
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.asleep import bodies
from emulator.settings import Settings
from tests.support.tools import missing


def _fastapi() -> Any:
    """The ``fastapi`` package, or a visible skip (a failure in CI, which installs it)."""
    try:
        return importlib.import_module("fastapi")
    except ImportError:
        missing("fastapi, the 422 oracle", 'pip install -e ".[test]"')
        raise AssertionError("unreachable") from None  # pragma: no cover


USER = "G-20250115025029-vLErWBfQNtnfvgDccFOQ"


def _query_endpoint(fastapi: Any, model: type[Any]) -> Any:
    """An endpoint whose parameters are ``model``'s fields, each a FastAPI query parameter
    (validated one by one, as a handler with plain parameters is)."""

    def endpoint(**values: Any) -> dict[str, Any]:
        return {}

    params = []
    for name, info in model.model_fields.items():
        bounds = {
            key: getattr(rule, key)
            for rule in info.metadata
            for key in ("ge", "le", "gt", "lt")
            if getattr(rule, key, None) is not None
        }
        annotation = info.annotation
        default = (
            fastapi.Query(**bounds) if info.is_required() else fastapi.Query(info.default, **bounds)
        )
        params.append(
            inspect.Parameter(
                name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
            )
        )
    endpoint.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    return endpoint


def _oracle() -> TestClient:
    fastapi = _fastapi()
    app = fastapi.FastAPI(strict_content_type=False)

    def create(body: bodies.AsleepUserCreate | None = None) -> dict[str, Any]:
        return {}

    def update(user_id: str, body: bodies.AsleepUserUpdate) -> dict[str, Any]:
        return {}

    app.add_api_route("/ai/v1/users", create, methods=["POST"], status_code=201)
    app.add_api_route("/ai/v1/users/{user_id}", update, methods=["PUT"])
    app.add_api_route("/data/v1/sessions", _query_endpoint(fastapi, bodies.AsleepListQuery))
    return TestClient(app)


@pytest.fixture(scope="module")
def pair() -> tuple[TestClient, TestClient, dict[str, str]]:
    # The emulator's "current year" is its virtual clock's; FastAPI's is the wall clock's.
    oracle = _oracle()
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    ours = TestClient(create_app(Settings(clock_start=now)))
    headers = {"x-api-key": "oracle-key"}
    user = ours.post("/ai/v1/users", headers=headers).json()["result"]["user_id"]
    headers["x-user-id"] = user
    return ours, oracle, {**headers, "path_user": user}


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3000, max_value=3000),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-2000, max_value=2000),
    st.sampled_from(["1990", "١٩٩٠", "1_990", " 12 ", "170.55", "170.5", "male", "robot", "", "x"]),
)
FIELDS = ("birth_year", "birth_month", "birth_day", "gender", "height", "weight", "other")
METADATA = st.one_of(
    st.dictionaries(st.sampled_from(FIELDS), SCALARS, max_size=6), SCALARS, st.lists(SCALARS)
)
BODIES = st.one_of(
    st.fixed_dictionaries({"metadata": METADATA}),
    st.dictionaries(st.sampled_from(("metadata", "x")), METADATA, max_size=2),
    SCALARS,
)


def _same(ours: Any, theirs: Any) -> None:
    assert ours.status_code == theirs.status_code
    if theirs.status_code == 422:
        assert ours.json() == theirs.json()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=BODIES, update=st.booleans())
def test_user_bodies_answer_as_fastapi(pair: Any, body: Any, update: bool) -> None:
    ours, theirs, headers = pair
    user = headers["path_user"]
    key = {k: v for k, v in headers.items() if k == "x-api-key"}
    raw = json.dumps(body).encode()
    json_type = {"content-type": "application/json"}
    if update:
        got = ours.put(f"/ai/v1/users/{user}", content=raw, headers={**key, **json_type})
        want = theirs.put(f"/ai/v1/users/{user}", content=raw, headers=json_type)
    else:
        got = ours.post("/ai/v1/users", content=raw, headers={**key, **json_type})
        want = theirs.post("/ai/v1/users", content=raw, headers=json_type)
    _same(got, want)


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        (b"", None),
        (b"null", "application/json"),
        (b"{", "application/json"),
        (b'{"metadata": {"birth_year": 1990}}', None),
        (b'{"metadata": {"birth_year": 1990}}', "text/plain"),
        (b"[1, 2]", "application/vnd.api+json; charset=utf-8"),
    ],
)
def test_body_reading_answers_as_fastapi(pair: Any, raw: bytes, content_type: str | None) -> None:
    ours, theirs, headers = pair
    user = headers["path_user"]
    extra = {} if content_type is None else {"content-type": content_type}
    key = {"x-api-key": headers["x-api-key"]}
    for method in ("post", "put"):
        path = "/ai/v1/users" if method == "post" else f"/ai/v1/users/{user}"
        got = ours.request(method, path, content=raw, headers={**key, **extra})
        want = theirs.request(method, path, content=raw, headers=extra)
        _same(got, want)


QUERY_VALUES = st.sampled_from(
    ["", "0", "-1", "20", "100", "101", "1.5", "abc", "DESC", "ASC", "desc", "2025-01-15",
     "2025-1-5", "2025-02-30", "2025-01-15T00:00:00", "20250115", "١٢"]
)  # fmt: skip


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    query=st.dictionaries(
        st.sampled_from(("date_gte", "date_lte", "order_by", "offset", "limit", "other")),
        QUERY_VALUES,
        max_size=5,
    )
)
def test_list_queries_answer_as_fastapi(pair: Any, query: dict[str, str]) -> None:
    ours, theirs, headers = pair
    sent = {k: v for k, v in headers.items() if k != "path_user"}
    got = ours.get("/data/v1/sessions", params=query, headers=sent)
    want = theirs.get("/data/v1/sessions", params=query)
    _same(got, want)
