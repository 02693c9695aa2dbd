"""The control API: health, reset, journal filters and bound, scenarios."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from emulator import __version__
from emulator.app import create_app
from emulator.core.secrets import mask
from emulator.core.tables import Namespace
from emulator.settings import Settings


def test_health_reports_status_and_version(emulator_client: TestClient) -> None:
    r = emulator_client.get("/_emulator/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["version"] == __version__
    assert {a["name"] for a in body["apis"]} == {"asleep", "kintsugi"}


def test_journal_records_vendor_requests_newest_last(emulator_client: TestClient) -> None:
    emulator_client.get("/v2/a", headers={"x-api-key": "k1"})
    emulator_client.post("/ai/v1/b?x=1", headers={"x-api-key": "k2"})
    emulator_client.get("/_emulator/health")
    entries = emulator_client.get("/_emulator/requests").json()["requests"]
    assert [(e["method"], e["path"], e["status"], e["api_key"], e["vendor"]) for e in entries] == [
        ("GET", "/v2/a", 404, mask("k1"), "kintsugi"),
        ("POST", "/ai/v1/b", 404, mask("k2"), "asleep"),
    ]
    assert entries[1]["query"] == "x=1"
    assert entries[0]["duration_ms"] >= 0
    assert entries[0]["id"] < entries[1]["id"]
    assert entries[0]["time"].endswith("+00:00")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("method=post", ["/ai/v1/b", "/v2/d"]),
        ("path_prefix=/v2", ["/v2/a", "/v2/d"]),
        ("api_key=k1", ["/v2/a", "/ai/v1/b"]),
        ("vendor=asleep", ["/ai/v1/b", "/data/v3/c"]),
        ("limit=2", ["/data/v3/c", "/v2/d"]),
        ("method=POST&api_key=k2", ["/v2/d"]),
    ],
)
def test_journal_filters(emulator_client: TestClient, query: str, expected: list[str]) -> None:
    emulator_client.get("/v2/a", headers={"x-api-key": "k1"})
    emulator_client.post("/ai/v1/b", headers={"x-api-key": "k1"})
    emulator_client.get("/data/v3/c", headers={"x-api-key": "k2"})
    emulator_client.post("/v2/d", headers={"x-api-key": "k2"})
    got = emulator_client.get(f"/_emulator/requests?{query}").json()["requests"]
    assert [e["path"] for e in got] == expected


def test_journal_is_bounded_and_clearable() -> None:
    with TestClient(create_app(Settings(journal_size=3))) as client:
        for i in range(5):
            client.get(f"/v2/x{i}")
        body = client.get("/_emulator/requests").json()
        assert body["capacity"] == 3
        assert [e["path"] for e in body["requests"]] == ["/v2/x2", "/v2/x3", "/v2/x4"]
        assert client.delete("/_emulator/requests").json() == {"cleared": 3}
        assert client.get("/_emulator/requests").json()["requests"] == []


def test_journal_can_be_turned_off() -> None:
    with TestClient(create_app(Settings(journal_size=0))) as client:
        client.get("/v2/x")
        assert client.get("/_emulator/requests").json() == {
            "capacity": 0,
            "count": 0,
            "last_id": 0,
            "requests": [],
        }


def test_journal_clear_for_one_key(emulator_client: TestClient) -> None:
    emulator_client.get("/v2/a", headers={"x-api-key": "k1"})
    emulator_client.get("/v2/b", headers={"x-api-key": "k2"})
    assert emulator_client.delete("/_emulator/requests?api_key=k1").json() == {"cleared": 1}
    assert [e["path"] for e in emulator_client.get("/_emulator/requests").json()["requests"]] == [
        "/v2/b"
    ]


def test_bad_journal_query_is_a_control_error(emulator_client: TestClient) -> None:
    r = emulator_client.get("/_emulator/requests?limit=many")
    assert r.status_code == 400
    assert r.json() == {"error": "bad_request", "message": "limit must be an integer"}


def _mark(ns: Namespace) -> None:
    ns.next_id("marker")


def test_reset_everything_or_one_tenant(emulator_client: TestClient) -> None:
    rt = emulator_client.app.state.runtime  # type: ignore[attr-defined]
    _mark(rt.store.namespace("k1"))
    _mark(rt.store.namespace("k2"))
    emulator_client.get("/v2/a", headers={"x-api-key": "k1"})
    emulator_client.get("/v2/a", headers={"x-api-key": "k2"})

    r = emulator_client.post("/_emulator/reset?api_key=k1")
    assert r.json() == {"reset": "tenant", "api_key": mask("k1")}
    assert rt.store.tenants() == ["k2"]
    assert {
        e["api_key"] for e in emulator_client.get("/_emulator/requests").json()["requests"]
    } == {mask("k2")}

    assert emulator_client.post("/_emulator/reset").json() == {"reset": "all", "api_key": None}
    assert rt.store.tenants() == []
    assert emulator_client.get("/_emulator/requests").json()["requests"] == []


def test_reset_refuses_an_empty_key(emulator_client: TestClient) -> None:
    r = emulator_client.post("/_emulator/reset?api_key=")
    assert r.status_code == 400
    assert r.json()["error"] == "bad_request"


def test_control_api_errors_are_json(emulator_client: TestClient) -> None:
    r = emulator_client.delete("/_emulator/health")
    assert r.status_code == 405
    assert r.json()["error"] == "method_not_allowed"
    r = emulator_client.get("/_emulator/nothing")
    assert r.status_code == 404
    assert r.json()["error"] == "not_found"


def test_scenarios_are_listed(emulator_client: TestClient) -> None:
    r = emulator_client.get("/_emulator/scenarios")
    assert r.status_code == 200
    assert isinstance(r.json()["scenarios"], list)


def test_journal_after_status_and_detail(emulator_client: TestClient) -> None:
    h = {"x-api-key": "secret-key-123", "content-type": "application/json"}
    emulator_client.get("/v2/predict/sessions/x", headers=h)
    first = emulator_client.get("/_emulator/requests").json()
    emulator_client.post("/ai/v1/users", headers=h, json={})
    emulator_client.get("/data/v1/sessions", headers=h)
    newer = emulator_client.get(
        "/_emulator/requests", params={"after": first["last_id"], "detail": "true"}
    ).json()
    assert [r["path"] for r in newer["requests"]] == ["/ai/v1/users", "/data/v1/sessions"]
    assert newer["last_id"] == first["last_id"] + 2
    made = newer["requests"][0]
    assert ["x-api-key", made["api_key"]] in made["request_headers"]
    assert "secret-key-123" not in str(made)
    assert made["api_key"].startswith("sec")
    assert "…" in made["api_key"]
    assert made["request_body"] == {"content_type": "application/json", "length": 2}
    assert made["response_body"]["content_type"] == "application/json"
    assert made["response_body"]["excerpt"].startswith('{"detail":"success"')
    assert made["response_body"]["length"] == len(made["response_body"]["excerpt"])
    errors = emulator_client.get("/_emulator/requests", params={"status": "4xx"}).json()
    assert {r["status"] // 100 for r in errors["requests"]} == {4}
    exact = emulator_client.get("/_emulator/requests", params={"status": "201"}).json()
    assert [r["path"] for r in exact["requests"]] == ["/ai/v1/users"]
    one = emulator_client.get(f"/_emulator/requests/{made['id']}").json()
    assert one == made


@pytest.mark.parametrize(
    "query", ["status=44", "status=abc", "status=600", "after=x", "faulted=ture", "faulted=TRUE"]
)
def test_journal_rejects_bad_filters(emulator_client: TestClient, query: str) -> None:
    response = emulator_client.get(f"/_emulator/requests?{query}")
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"


@pytest.mark.parametrize("entry", ["999", "0", "x", "9" * 30])
def test_an_unknown_journal_entry_is_404(emulator_client: TestClient, entry: str) -> None:
    response = emulator_client.get(f"/_emulator/requests/{entry}")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


# --------------------------------------------------------------------------- hostile input

HOSTILE_BODIES = {
    "100k-digit number": b'{"a": ' + b"9" * 100_000 + b"}",
    "100k-deep nesting": b"[" * 100_000 + b"]" * 100_000,
    "NaN": b'{"a": NaN}',
    "not UTF-8": b"\xff\xfe{",
    "truncated": b'{"a": [1, 2',
}


def _json_control_calls(client: TestClient) -> list[tuple[str, str]]:
    """Every control call with a JSON body, with ids that exist."""
    h = {"x-api-key": "hostile"}
    user = client.post("/ai/v1/users", headers=h).json()["result"]["user_id"]
    session = client.post(
        "/ai/v1/sessions",
        headers={**h, "x-user-id": user},
        json={"start_time": "2025-01-01T00:00:00Z"},
    ).json()["result"]["session_id"]
    return [
        ("PUT", "/_emulator/faults"),
        ("POST", "/_emulator/faults"),
        ("POST", "/_emulator/clock"),
        ("PUT", "/_emulator/progression"),
        ("PUT", "/_emulator/state"),
        ("PUT", "/_emulator/callbacks/failures"),
        ("POST", "/_emulator/login"),
        ("PUT", f"/_emulator/asleep/users/{user}/profile"),
        ("POST", f"/_emulator/asleep/users/{user}/nights"),
        ("PUT", f"/_emulator/asleep/sessions/{session}/hypnogram"),
        ("PUT", "/_emulator/kintsugi/outcomes/users/u"),
    ]


def test_hostile_json_is_a_400_in_control_shape_never_a_500(
    emulator_client: TestClient,
) -> None:
    calls = _json_control_calls(emulator_client)
    headers = {"x-api-key": "hostile", "content-type": "application/json"}
    for method, path in calls:
        for label, body in HOSTILE_BODIES.items():
            r = emulator_client.request(method, path, content=body, headers=headers)
            assert r.status_code == 400, (method, path, label, r.text)
            assert set(r.json()) == {"error", "message"}, (method, path, label)


def test_a_405_names_every_method_of_the_path(emulator_client: TestClient) -> None:
    doc = emulator_client.get("/_emulator/openapi.json").json()
    methods = {"get", "put", "post", "delete", "patch"}
    for path, item in doc["paths"].items():
        if not path.startswith("/_emulator") or "{" in path:
            continue
        served = {m.upper() for m in item if m in methods}
        if "GET" in served:
            served.add("HEAD")
        unused = sorted({"GET", "PUT", "POST", "DELETE", "PATCH"} - served)
        r = emulator_client.request(unused[0], path)
        assert r.status_code == 405, path
        allowed = set(r.headers["allow"].split(", "))
        assert served <= allowed, path
        # More only where a template also matches (GET /callbacks/flush is a delivery id).
        for method in sorted(allowed - served - {"HEAD"}):
            assert emulator_client.request(method, path).status_code != 405, (method, path)
        assert r.json()["error"] == "method_not_allowed"
