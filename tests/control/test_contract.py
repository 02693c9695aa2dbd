"""The OpenAPI document and the response validator.

(``emulator.control.openapi``, ``emulator.control.contract``)

* the document covers every route the app serves, each operation names its source,
  every response schema compiles, and every control endpoint and magic input is listed
  with an example by GET /_emulator/scenarios;
* the validator finds operations, passes conforming responses and reports each kind of
  violation (logged on ``emulator.control.contract``, counted at GET /_emulator/contract);
* ``create_app`` switches it on from the setting or the environment variable.
"""

from __future__ import annotations

import importlib
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Route
from starlette.testclient import TestClient

from emulator import asleep, kintsugi
from emulator.app import create_app
from emulator.control import contract
from emulator.control.contract import Contract, ContractMiddleware, Record
from emulator.control.openapi import for_vendors, to_bytes
from emulator.settings import AsleepSettings, KintsugiSettings, Settings
from tests.conftest import ExpectedViolations
from tests.support.wavs import mel_npy, silent_wav

METHODS = ("get", "put", "post", "delete", "patch")


def document() -> dict[str, Any]:
    """The document of an app with both vendors (as ``create_app`` builds it)."""
    return for_vendors((asleep.vendor(), kintsugi.vendor())).built()


def document_bytes() -> bytes:
    return to_bytes(document())


def _served(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, str]]:
    for route in routes:
        if isinstance(route, Mount):
            yield from _served(list(route.routes), prefix + route.path)
        elif isinstance(route, Route):
            for method in route.methods or ():
                if method != "HEAD":
                    yield method.lower(), prefix + route.path


@pytest.fixture(scope="module")
def app() -> Starlette:
    return create_app(Settings(seed=5, clock_start="2025-03-01T12:00:00Z", clock_frozen=True))


# --------------------------------------------------------------------------- the document


def test_document_covers_every_served_route(app: Starlette) -> None:
    paths = document()["paths"]
    # The inspector's pages are HTML for people, not part of the API contract.
    served = {(m, p) for m, p in _served(list(app.routes)) if not p.startswith("/_emulator/ui")}
    documented = {(m, p) for p, item in paths.items() for m in item if m in METHODS}
    assert served - documented == set(), "served but not documented"
    assert documented - served == set(), "documented but not served"


def test_control_ids_may_hold_a_newline(app: Starlette) -> None:
    # A Mount's {path:path} does not match "\n"; the control routes are full paths.
    with TestClient(app) as client:
        r = client.put(
            "/_emulator/kintsugi/outcomes/users/a%0Ab", headers={"x-api-key": "k"}, json={}
        )
    assert r.status_code == 200
    assert r.json()["key"] == "user:a\nb"


def test_document_is_served_as_is(app: Starlette) -> None:
    with TestClient(app) as client:
        response = client.get("/_emulator/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == document_bytes()
    doc = response.json()
    assert doc["openapi"] == "3.1.0"
    assert doc["components"]["securitySchemes"]["apiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "x-api-key",
        "description": doc["components"]["securitySchemes"]["apiKey"]["description"],
    }


def test_document_is_valid_openapi_3_1() -> None:
    # A test dependency's module, imported plainly: should a release move it, this fails
    # loudly instead of skipping the one OpenAPI 3.1 check.
    from schemathesis.specs.openapi import definitions

    errors = [e.message for e in definitions.OPENAPI_31_VALIDATOR.iter_errors(document())]
    assert errors == []


def test_every_operation_names_its_source_and_its_schemas_compile() -> None:
    doc = document()
    checker = Contract(doc)
    count = 0
    for path, item in doc["paths"].items():
        for method, spec in item.items():
            if method not in METHODS:
                continue
            assert spec.get("x-emulator-source"), f"{method} {path}"
            op = checker.operation(method.upper(), path.replace("{", "x").replace("}", ""))
            assert op is not None
            assert op.template == path
            for status, response in spec["responses"].items():
                content = response.get("content", {})
                if "application/json" in content:
                    # compiles (and a conforming-or-not verdict comes back, never an error)
                    op.check(int(status), "application/json", b"{}")
                    count += 1
    assert count > 200


def test_operation_counts_per_api() -> None:
    counts: dict[str, int] = {}
    for item in document()["paths"].values():
        for method, spec in item.items():
            if method in METHODS:
                counts[spec["tags"][0]] = counts.get(spec["tags"][0], 0) + 1
    assert counts["Asleep"] == 13
    assert counts["Kintsugi"] == 18
    assert counts["Emulator control"] >= 43


def _example_lines(scenario: dict[str, Any]) -> list[str]:
    example = scenario["example"]
    if isinstance(example, dict) and "method" in example and "path" in example:
        return [f"{example['method']} {example['path']}"]
    text = example if isinstance(example, str) else json.dumps(example)
    return text.splitlines() or [text]


def test_scenarios_list_every_control_endpoint_and_magic_input(app: Starlette) -> None:
    with TestClient(app) as client:
        scenarios = client.get("/_emulator/scenarios").json()["scenarios"]
    lines = [line for s in scenarios for line in _example_lines(s)]
    missing = []
    for path, item in document()["paths"].items():
        if not path.startswith("/_emulator"):
            continue
        pattern = re.sub(r"\\\{[^}]+\\\}", r"[^\\s/?\"']+", re.escape(path))
        for method in item:
            if method not in METHODS:
                continue
            found = re.compile(rf"\b{method.upper()}\s+{pattern}(?=$|[\s?\"'])")
            if not any(found.search(line) for line in lines):
                missing.append(f"{method.upper()} {path}")
    assert missing == []
    names = {s["name"] for s in scenarios}
    magic = {s["name"] for s in scenarios if s["kind"] == "magic-input"}
    assert {
        "asleep-service-profile",
        "kintsugi-force-label",
        "kintsugi-force-audio-error",
        "kintsugi-hold-processing",
    } <= magic
    assert {"demo-data", "openapi", "fault-injection", "virtual-clock"} <= names
    assert all(s["description"] and s["example"] for s in scenarios)


# --------------------------------------------------------------------------- the validator

MINI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/things/{id}": {
            "get": {
                "operationId": "get_thing",
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}
                        },
                    },
                    "204": {"description": "nothing"},
                },
            }
        },
        "/things/special": {
            "get": {"operationId": "special", "responses": {"200": {"description": "x"}}}
        },
    },
    "components": {
        "schemas": {
            "Thing": {
                "type": "object",
                "properties": {
                    "n": {"type": "integer"},
                    "day": {"type": "string", "format": "date"},
                },
                "required": ["n"],
                "additionalProperties": False,
            }
        }
    },
}


def test_literal_paths_win_over_templates() -> None:
    checker = Contract(MINI)
    special = checker.operation("GET", "/things/special")
    thing = checker.operation("GET", "/things/7")
    assert special is not None
    assert special.id == "special"
    assert thing is not None
    assert thing.id == "get_thing"
    assert checker.operation("POST", "/things/7") is None
    assert checker.operation("GET", "/things/7/more") is None
    assert checker.operation("GET", "/elsewhere") is None


@pytest.mark.parametrize(
    ("status", "ctype", "body", "problem"),
    [
        (200, "application/json", b'{"n": 1, "day": "2025-01-01"}', None),
        (204, "", b"", None),
        (201, "application/json", b"{}", "status 201 is not documented"),
        (200, "application/json", b'{"n": "one"}', "at n:"),
        (200, "application/json", b'{"n": 1, "extra": true}', "Additional properties"),
        (200, "application/json", b'{"n": 1, "day": "2025-13-45"}', "date"),
        (200, "text/plain", b'{"n": 1}', "content type"),
        (200, "application/json", b"{", "not JSON"),
        (204, "", b"x", "without a body"),
    ],
)
def test_verdicts(status: int, ctype: str, body: bytes, problem: str | None) -> None:
    op = Contract(MINI).operation("GET", "/things/1")
    assert op is not None
    verdict = op.check(status, ctype, body)
    if problem is None:
        assert verdict is None
    else:
        assert verdict is not None
        assert problem in verdict, verdict


def _fake_app(status: int, body: bytes, ctype: str = "application/json") -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        headers = [(b"content-type", ctype.encode())] if ctype else []
        await send({"type": "http.response.start", "status": status, "headers": headers})
        # Two chunks: the middleware must check the whole body.
        await send({"type": "http.response.body", "body": body[:1], "more_body": True})
        await send({"type": "http.response.body", "body": body[1:]})

    return app


def test_middleware_logs_and_records_violations(
    contract_violations_expected: ExpectedViolations, caplog: pytest.LogCaptureFixture
) -> None:
    record = Record(enabled=True)
    good = ContractMiddleware(_fake_app(200, b'{"n": 3}'), record, Contract(MINI))
    bad = ContractMiddleware(_fake_app(200, b'{"n": 3, "x": 1}'), record, Contract(MINI))
    with caplog.at_level(logging.ERROR, logger="emulator.control.contract"):
        for middleware in (good, bad, good):
            response = TestClient(middleware).get("/things/9")
            assert response.status_code == 200  # the response itself is untouched
            response = TestClient(middleware).get("/not/documented")
    assert record.checked == 3
    assert record.violation_count == 1
    violation = record.violations[0]
    assert (violation.method, violation.path, violation.status) == ("GET", "/things/9", 200)
    assert violation.operation == "get_thing"
    messages = contract_violations_expected.messages()
    assert len(messages) == 1
    assert messages[0].startswith("GET /things/9 -> 200 violates the OpenAPI document (get_thing)")
    assert [r.levelname for r in caplog.records if r.name == "emulator.control.contract"] == [
        "ERROR"
    ]


def test_a_real_vendor_drift_is_caught_and_listed(
    monkeypatch: pytest.MonkeyPatch, contract_violations_expected: ExpectedViolations
) -> None:
    # The package re-exports a `routes` list, so reach the module itself.
    kintsugi_routes = importlib.import_module("emulator.kintsugi.routes")
    real = kintsugi_routes.render_record

    def drifted(*args: Any, **kwargs: Any) -> dict[str, Any]:
        found: dict[str, Any] = real(*args, **kwargs)
        found["predicted_sore"] = found.pop("predicted_score")  # a typo in a key
        return found

    monkeypatch.setattr(kintsugi_routes, "render_record", drifted)
    app = create_app(Settings(validate_responses=True, clock_start="2025-03-01T12:00:00Z"))
    with TestClient(app) as client:
        h = {"x-api-key": "k"}
        sid = client.post("/v2/initiate", headers=h, json={"user_id": "u", "is_initiated": True})
        session_id = sid.json()["session_id"]
        client.post(
            "/v2/prediction/",
            headers=h,
            data={"session_id": session_id},
            files={"file": ("a.wav", b"not a wav")},
        )
        assert client.get(f"/v2/predict/sessions/{session_id}", headers=h).status_code == 200
        seen = client.get("/_emulator/contract").json()
    assert seen["enabled"] is True
    assert seen["checked"] >= 3
    assert seen["violation_count"] == 1
    (violation,) = seen["violations"]
    assert violation["operation"] == "kintsugi_v2_prediction_by_session"
    assert "predicted_score" in violation["message"] or "predicted_sore" in violation["message"]
    assert len(contract_violations_expected.records) == 1


# --------------------------------------------------------------------------- switching it on


def test_validation_follows_the_setting_and_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(contract.ENV_VAR, raising=False)
    off = create_app(Settings())
    on = create_app(Settings(validate_responses=True))
    monkeypatch.setenv(contract.ENV_VAR, "1")
    by_env = create_app(Settings())
    for app, enabled in ((off, False), (on, True), (by_env, True)):
        with TestClient(app) as client:
            client.get("/_emulator/health")
            seen = client.get("/_emulator/contract").json()
        assert seen["enabled"] is enabled
        assert (seen["checked"] > 0) is enabled
    assert Settings.from_env({"EMULATOR_VALIDATE_RESPONSES": "true"}).validate_responses


def test_the_test_suite_runs_with_validation_on() -> None:
    # tests/conftest.py switches it on for every app the suite builds.
    assert contract.env_enabled({contract.ENV_VAR: "1"})
    import os

    assert contract.env_enabled(os.environ)


# --------------------------------------------------------------------------- variants


def test_settings_variants_keep_the_contract() -> None:
    """The optional vendor behaviours answer inside the document too."""
    variant = Settings(
        clock_start="2025-03-01T12:00:00Z",
        clock_frozen=True,
        validate_responses=True,
        kintsugi=KintsugiSettings(
            v1_predict_status=200,
            failed_record_status=417,
            no_consent_error="consent_not_provided",
            min_voice_seconds=0,
        ),
        asleep=AsleepSettings(open_session_policy="conflict", progression="manual"),
    )
    app = create_app(variant)
    with TestClient(app) as client:
        h = {"x-api-key": "k"}
        # Without consent no session is created (seed 002): 406, no session id.
        r = client.post("/v1/initiate", headers=h, data={"user_id": "u", "is_initiated": "false"})
        assert r.status_code == 406
        r = client.post("/v1/initiate", headers=h, data={"user_id": "u", "is_initiated": "true"})
        r = client.post(
            "/v1/predict/server/depression/severity",
            headers=h,
            data={"session_id": r.json()["session_id"]},
            files={"file": ("a.wav", silent_wav())},
        )
        assert r.status_code == 200, r.text
        r = client.post(
            "/v2/initiate",
            headers=h,
            json={"user_id": "emu-error:unstandard_audio", "is_initiated": True},
        )
        sid = r.json()["session_id"]
        r = client.post(
            "/v2/prediction/", headers=h, data={"session_id": sid}, files={"file": ("a.wav", b"x")}
        )
        assert r.status_code == 202
        statuses = [client.get(f"/v2/predict/sessions/{sid}", headers=h).status_code for _ in "ab"]
        assert statuses == [200, 417]
        user = client.post("/ai/v1/users", headers=h).json()["result"]["user_id"]
        hu = {**h, "x-user-id": user}
        first = client.post("/ai/v1/sessions", headers=hu).json()["result"]["session_id"]
        assert client.post("/ai/v1/sessions", headers=hu).status_code == 409
        assert client.post(f"/ai/v1/sessions/{first}/close", headers=hu).status_code == 200
        closed = client.get(f"/data/v3/sessions/{first}", headers=hu).json()["result"]
        assert closed["session"]["state"] == "CLOSED"
        seen = client.get("/_emulator/contract").json()
    assert seen["checked"] >= 12
    assert seen["violation_count"] == 0, seen["violations"]


def test_plans_keep_the_contract(tmp_path: Path) -> None:
    """2-stage, no breathing, no real-time: the documented nulls, inside the document."""
    config = tmp_path / "tenants.json"
    plan = {"four_stage": False, "breathing": False, "realtime": False, "cadence_minutes": 20}
    config.write_text(json.dumps({"keys": {"basic": {"asleep_plan": plan}, "full": {}}}))
    app = create_app(
        Settings(
            seed=2,
            config=str(config),
            clock_start="2025-03-01T12:00:00Z",
            clock_frozen=True,
            validate_responses=True,
            control_token="op-token",
        )
    )
    with TestClient(app) as client:
        for key in ("basic", "full"):
            h = {"x-api-key": key}
            # With a tenant config, a tenant's own key loads its own demo data.
            users = client.post("/_emulator/demo", headers=h).json()
            for user in users["asleep"]["users"]:
                hu = {**h, "x-user-id": user["user_id"], "timezone": user["timezone"]}
                listed = client.get("/data/v1/sessions", headers=hu, params={"limit": 3}).json()
                for item in listed["result"]["sleep_session_list"]:
                    for version in (2, 3):
                        path = f"/data/v{version}/sessions/{item['session_id']}"
                        assert client.get(path, headers=hu).status_code == 200
                client.get(
                    f"/data/v1/users/{user['user_id']}/average-stats",
                    headers=hu,
                    params={"start_date": "2025-01-01", "end_date": "2025-03-01"},
                )
                client.get(f"/ai/v1/users/{user['user_id']}", headers=h)
            # An OPEN session mid-night, read while recording.
            hu = {**h, "x-user-id": users["asleep"]["users"][0]["user_id"]}
            sid = client.post(
                "/ai/v1/sessions", headers=hu, json={"start_time": "2025-03-01T10:00:00Z"}
            ).json()["result"]["session_id"]
            for seq in range(45):
                client.post(
                    f"/ai/v1/sessions/{sid}/upload",
                    headers=hu,
                    data={"seq_num": str(seq)},
                    files={"file": ("c.npy", mel_npy())},
                )
            for version in (2, 3):
                client.get(f"/data/v{version}/sessions/{sid}", headers=hu)
        seen = client.get(
            "/_emulator/contract", headers={"Authorization": "Bearer op-token"}
        ).json()
    assert seen["checked"] > 100
    assert seen["violation_count"] == 0, seen["violations"]
