"""schemathesis against /_emulator/openapi.json: no 5xx, no response that breaks the document.

The in-process app is loaded with the demo data under one API key; before each
operation the world is put back to that snapshot (and faults, policies and the clock to
their start), so one operation's deletes or clock jumps never leak into the next.
Generated cases are steered towards that world: the API key is always the test
tenant's, and three generated values in four (``x-user-id``, ``timezone``, path ids,
``session_id`` fields, the uploaded ``file`` and ``seq_num``) are swapped for ones that
exist or pass, so requests get past the 404s and 400s into the endpoints' logic. Which
ones are swapped follows from the generated value itself, so Hypothesis can still shrink
a failure. Webhook URLs always go to a closed local port.

Knobs: ``EMULATOR_SCHEMATHESIS_EXAMPLES`` (default 25 per operation) and
``EMULATOR_SCHEMATHESIS_RANDOM=1`` (explore new cases instead of the reproducible set).

Checks: not_a_server_error, status_code_conformance, content_type_conformance,
response_schema_conformance; the app also validates itself (emulator.control.contract), and
tests/conftest.py fails the session on any violation it logs.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any, cast

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from emulator.app import create_app
from emulator.settings import KintsugiSettings, Settings, WebhookSettings
from tests.support.wavs import mel_npy, silent_wav

KEY = "st-key"
SETTINGS = Settings(
    seed=11,
    clock_start="2025-03-01T12:00:00Z",
    clock_frozen=True,
    validate_responses=True,
    # Any WAV passes the Kintsugi voice check, so predictions get made.
    kintsugi=KintsugiSettings(min_voice_seconds=0),
    # Generated callback URLs must not keep deliveries (and flushes) waiting.
    webhooks=WebhookSettings(timeout_seconds=0.2, max_attempts=1, shutdown_grace_seconds=0.5),
)
APP = create_app(SETTINGS)
# Loads the served document (starting the app's lifespan, ended by `_lifespan` below).
schema = schemathesis.openapi.from_asgi("/_emulator/openapi.json", APP)
CLIENT = asgi.get_client(cast(Any, APP))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@dataclass(frozen=True)
class World:
    snapshot: dict[str, Any]
    asleep_user: str
    asleep_sessions: tuple[str, ...]  # COMPLETE nights, then one OPEN session
    kintsugi_user: str
    kintsugi_predicted: tuple[str, ...]
    kintsugi_initiated: tuple[str, ...]  # consent given, no prediction yet


MEL = mel_npy()
WAV = silent_wav()


def _call(method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
    # Through the app (on the event loop its lifespan runs on, with its background
    # ticker), never by touching the runtime from this thread.
    response = CLIENT.request(method, path, **kwargs)
    assert response.status_code == status, (method, path, response.status_code, response.text)
    return response.json() if response.content else None


def _build_world() -> World:
    summary = _call("POST", "/_emulator/demo", params={"api_key": KEY})
    asleep_user = summary["asleep"]["users"][0]["user_id"]
    h = {"x-api-key": KEY, "x-user-id": asleep_user}
    listed = _call("GET", "/data/v1/sessions", headers=h, params={"limit": 3})
    complete = [s["session_id"] for s in listed["result"]["sleep_session_list"]]
    opened = _call(
        "POST",
        "/ai/v1/sessions",
        201,
        headers=h,
        json={"start_time": "2025-03-01T11:00:00Z"},
    )["result"]["session_id"]
    for seq in range(45):  # past the first analysis window (20 minutes)
        _call(
            "POST",
            f"/ai/v1/sessions/{opened}/upload",
            headers=h,
            data={"seq_num": str(seq)},
            files={"file": ("chunk.npy", MEL)},
        )
    k_user = summary["kintsugi"]["users"][0]["user_id"]
    kh = {"x-api-key": KEY}
    predicted = [r["session_id"] for r in _call("GET", f"/v2/predict/users/{k_user}", headers=kh)]
    initiated = [
        _call(
            "POST", "/v2/initiate", 201, headers=kh, json={"user_id": k_user, "is_initiated": True}
        )["session_id"]
        for _ in range(3)
    ]
    return World(
        snapshot=_call("GET", "/_emulator/state"),
        asleep_user=asleep_user,
        asleep_sessions=(*complete, opened),
        kintsugi_user=k_user,
        kintsugi_predicted=tuple(predicted[:3]),
        kintsugi_initiated=tuple(initiated),
    )


_WORLD: list[World] = []


@pytest.fixture(scope="module", autouse=True)
def _lifespan() -> Iterator[None]:
    yield
    # schemathesis keeps the app's lifespan running until exit; end it with the module.
    asgi.shutdown_lifespans()


@pytest.fixture
def world() -> World:
    """The demo world, restored (with faults, policies, clock) before each operation."""
    if not _WORLD:
        _WORLD.append(_build_world())
    found = _WORLD[0]
    _call("POST", "/_emulator/reset")
    _call("PUT", "/_emulator/state", json=found.snapshot)
    return found


def _pick(value: Any, options: tuple[Any, ...]) -> Any:
    """One of ``options`` for three generated values in four; None keeps the value."""
    digest = zlib.crc32(repr(value).encode())
    if digest % 4 == 0 or not options:
        return None
    return options[digest // 4 % len(options)]


def _swap(mapping: MutableMapping[str, Any], name: str, options: tuple[Any, ...]) -> None:
    if name in mapping:
        found = _pick(mapping[name], options)
        if found is not None:
            mapping[name] = found


ZONES = ("UTC", "Asia/Seoul", "America/New_York")
SINK = "http://127.0.0.1:9/hook"


def _sink(mapping: MutableMapping[str, Any]) -> None:
    """Webhooks go to a closed local port, never to a generated host."""
    value = mapping.get("callback_url")
    if isinstance(value, str) and value.strip().lower().startswith(("http://", "https://")):
        mapping["callback_url"] = SINK


def _steer(case: schemathesis.Case[Any], w: World) -> None:
    """Point generated ids at the demo world (see the module docstring)."""
    path = case.operation.path
    kintsugi = path.startswith(("/v1/", "/v2/", "/_emulator/kintsugi/"))
    headers = case.headers  # case-insensitive, changed in place
    headers["x-api-key"] = KEY
    _swap(headers, "x-user-id", (w.asleep_user,))
    _swap(headers, "timezone", ZONES)
    query = dict(case.query or {})
    _swap(query, "timezone", ZONES)
    _sink(query)
    case.query = query
    params = dict(case.path_parameters or {})
    if path.endswith("/upload"):
        _swap(params, "session_id", (w.asleep_sessions[-1],) * 3 + w.asleep_sessions[:1])
    elif "{ident}" in path:
        _swap(params, "ident", w.kintsugi_initiated if "/sessions/" in path else (w.kintsugi_user,))
    else:
        _swap(params, "user_id", (w.kintsugi_user,) if kintsugi else (w.asleep_user,))
        _swap(params, "session_id", w.kintsugi_predicted if kintsugi else w.asleep_sessions)
    case.path_parameters = params
    if isinstance(case.body, dict):
        body = dict(case.body)
        _sink(body)
        if kintsugi:
            predict = "/predict" in path
            _swap(body, "session_id", w.kintsugi_initiated if predict else w.kintsugi_predicted)
            _swap(body, "file", (WAV,))
        else:
            _swap(body, "file", (MEL,))
            _swap(body, "seq_num", tuple(range(50, 60)))
        case.body = body


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("EMULATOR_SCHEMATHESIS_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
    # Reproducible by default; EMULATOR_SCHEMATHESIS_RANDOM=1 explores new cases.
    derandomize=not os.environ.get("EMULATOR_SCHEMATHESIS_RANDOM"),
    database=None,
)
def test_api_conforms(case: schemathesis.Case[Any], world: World) -> None:
    _steer(case, world)
    checks = CHECKS
    if case.operation.path == "/_emulator/demo/receiver":
        # The demo's receiver answers the status it is asked for, 5xx included.
        checks = [c for c in CHECKS if c is not not_a_server_error]
    case.call_and_validate(checks=checks)
