"""One way to name a tenant on every control endpoint: X-API-Key, with the older forms
(``?api_key=``, ``"api_key"`` in a body) as aliases and a 400 when two forms disagree."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.core.secrets import mask
from emulator.settings import Settings


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings()), raise_server_exceptions=False) as c:
        yield c


# (method, path, json body or None): every control endpoint that acts on one tenant.
TENANT_ENDPOINTS: list[tuple[str, str, Any]] = [
    ("POST", "/_emulator/reset", None),
    ("GET", "/_emulator/requests", None),
    ("DELETE", "/_emulator/requests", None),
    ("GET", "/_emulator/state", None),
    ("POST", "/_emulator/advance", None),
    ("PUT", "/_emulator/faults", []),
    ("POST", "/_emulator/faults", {"action": "latency", "latency_ms": 1}),
    ("DELETE", "/_emulator/faults", None),
    ("GET", "/_emulator/callbacks", None),
    ("DELETE", "/_emulator/callbacks", None),
    ("PUT", "/_emulator/callbacks/failures", {"mode": "drop"}),
    ("DELETE", "/_emulator/callbacks/failures", None),
    ("POST", "/_emulator/callbacks/flush", None),
    ("POST", "/_emulator/demo", None),
    ("GET", "/_emulator/kintsugi/sessions", None),
    ("GET", "/_emulator/kintsugi/outcomes", None),
    ("PUT", "/_emulator/kintsugi/outcomes/users/u1", {"depression_binary": "true"}),
    ("DELETE", "/_emulator/kintsugi/outcomes/users/u1", None),
    ("POST", "/_emulator/kintsugi/advance", None),
    ("GET", "/_emulator/asleep/users/nobody/profile", None),
]


def _call(client: TestClient, method: str, path: str, body: Any, **kwargs: Any) -> Any:
    return client.request(method, path, json=body, **kwargs)


@pytest.mark.parametrize(("method", "path", "body"), TENANT_ENDPOINTS)
def test_header_and_alias_mean_the_same(
    client: TestClient, method: str, path: str, body: Any
) -> None:
    by_header = _call(client, method, path, body, headers={"X-API-Key": "team-a"})
    client.post("/_emulator/reset")
    by_query = _call(client, method, path, body, params={"api_key": "team-a"})
    assert by_header.status_code == by_query.status_code
    assert by_header.status_code < 500
    if by_header.headers["content-type"].startswith("application/json") and "demo" not in path:
        assert by_header.json() == by_query.json()


@pytest.mark.parametrize(("method", "path", "body"), TENANT_ENDPOINTS)
def test_two_different_names_are_a_400_that_says_so(
    client: TestClient, method: str, path: str, body: Any
) -> None:
    r = _call(
        client, method, path, body, headers={"X-API-Key": "team-a"}, params={"api_key": "team-b"}
    )
    assert r.status_code == 400
    assert r.json()["error"] == "conflicting_api_key"
    assert mask("team-a") in r.json()["message"]  # keys are named by fingerprint only
    assert mask("team-b") in r.json()["message"]


@pytest.mark.parametrize(("method", "path", "body"), TENANT_ENDPOINTS)
def test_the_same_name_twice_is_fine(client: TestClient, method: str, path: str, body: Any) -> None:
    r = _call(
        client, method, path, body, headers={"X-API-Key": "team-a"}, params={"api_key": "team-a"}
    )
    assert r.status_code != 400 or r.json()["error"] != "conflicting_api_key"


def test_an_empty_header_is_refused(client: TestClient) -> None:
    r = client.post("/_emulator/reset", headers={"X-API-Key": ""})
    assert r.status_code == 400
    assert "must not be empty" in r.json()["message"]


def test_reset_by_header_resets_only_that_tenant(client: TestClient) -> None:
    r = client.post("/_emulator/reset", headers={"X-API-Key": "team-a"})
    assert r.json() == {"reset": "tenant", "api_key": mask("team-a")}


def test_failure_switch_body_alias_and_header(client: TestClient) -> None:
    by_body = client.put("/_emulator/callbacks/failures", json={"mode": "drop", "api_key": "k1"})
    by_header = client.put(
        "/_emulator/callbacks/failures", json={"mode": "drop"}, headers={"X-API-Key": "k1"}
    )
    assert by_body.json() == by_header.json()
    assert by_header.json()["switch"]["api_key"] == mask("k1")
    clash = client.put(
        "/_emulator/callbacks/failures",
        json={"mode": "drop", "api_key": "k2"},
        headers={"X-API-Key": "k1"},
    )
    assert clash.status_code == 400
    assert clash.json()["error"] == "conflicting_api_key"


def test_fault_rules_by_header_are_scoped_and_replace_only_that_tenants(
    client: TestClient,
) -> None:
    client.put("/_emulator/faults", json=[{"action": "throttle", "api_key": "other"}])
    added = client.post(
        "/_emulator/faults", json={"action": "throttle"}, headers={"X-API-Key": "mine"}
    )
    assert added.json()["api_key"] == mask("mine")
    replaced = client.put(
        "/_emulator/faults",
        json=[{"action": "latency", "latency_ms": 5}],
        headers={"X-API-Key": "mine"},
    )
    assert [r["api_key"] for r in replaced.json()["rules"]] == [mask("mine")]
    rules = client.get("/_emulator/faults").json()["rules"]
    assert sorted((r["api_key"], r["action"]) for r in rules) == sorted(
        [(mask("mine"), "latency"), (mask("other"), "throttle")]
    )
    # Naming a tenant narrows the listing to its rules.
    mine = client.get("/_emulator/faults", headers={"X-API-Key": "mine"}).json()["rules"]
    assert [r["action"] for r in mine] == ["latency"]
    clash = client.post(
        "/_emulator/faults",
        json={"action": "throttle", "api_key": "other"},
        headers={"X-API-Key": "mine"},
    )
    assert clash.status_code == 400
    assert clash.json()["error"] == "conflicting_api_key"


def test_a_bad_rule_in_a_scoped_put_changes_nothing(client: TestClient) -> None:
    client.post("/_emulator/faults", json={"action": "throttle"}, headers={"X-API-Key": "mine"})
    bad = client.put(
        "/_emulator/faults",
        json=[{"action": "latency", "latency_ms": 5}, {"action": "nonsense"}],
        headers={"X-API-Key": "mine"},
    )
    assert bad.status_code == 400
    assert "rule 1" in bad.json()["message"]
    assert [r["action"] for r in client.get("/_emulator/faults").json()["rules"]] == ["throttle"]


def test_vendor_controls_take_the_alias_too(client: TestClient) -> None:
    by_query = client.get("/_emulator/kintsugi/sessions", params={"api_key": "k"})
    assert by_query.status_code == 200
    none = client.get("/_emulator/kintsugi/sessions")
    assert none.json()["error"] == "missing_api_key"
    unknown = client.get("/_emulator/asleep/users/u/profile")
    assert unknown.status_code == 401
