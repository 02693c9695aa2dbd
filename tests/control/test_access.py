"""Who may use the control plane (``emulator.control.access``), through the whole app.

Zero-config stays open; a control token closes every call but health; with a tenant
config a tenant's own key reaches its own data through the tenant-scoped calls and
nothing else; browsers are kept out unless they come from the emulator's own origin.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.control.access import COOKIE, scoped_query
from emulator.core.secrets import mask
from emulator.settings import Settings, WebhookSettings
from tests.core.test_outbox import wire

TOKEN = "s3cret-control-token"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
A = {"x-api-key": "team-a"}
B = {"x-api-key": "team-b"}


def _config(tmp_path: Path) -> str:
    path = tmp_path / "tenants.json"
    path.write_text(json.dumps({"keys": {"team-a": {}, "team-b": {}}}), encoding="utf-8")
    return str(path)


@pytest.fixture
def tenants(tmp_path: Path) -> Iterator[TestClient]:
    """A config with team-a and team-b, and a control token."""
    app = create_app(Settings(config=_config(tmp_path), control_token=TOKEN))
    with TestClient(app) as client:
        yield client


def test_zero_config_is_open_as_before() -> None:
    with TestClient(create_app()) as client:
        assert client.get("/_emulator/tenants").json()["open"] is True
        assert client.post("/_emulator/reset").status_code == 200
        doc = client.get("/_emulator/openapi.json").json()
    assert "security" not in doc["paths"]["/_emulator/reset"]["post"] or (
        doc["paths"]["/_emulator/reset"]["post"]["security"] == []
    )


def test_a_token_closes_everything_but_health() -> None:
    with TestClient(create_app(Settings(control_token=TOKEN))) as client:
        assert client.get("/_emulator/health").status_code == 200
        for method, path in [
            ("GET", "/_emulator/requests"),
            ("POST", "/_emulator/reset"),
            ("GET", "/_emulator/openapi.json"),
            ("PUT", "/_emulator/faults"),
            ("GET", "/_emulator/nothing-here"),
        ]:
            refused = client.request(method, path)
            assert refused.status_code == 401, (method, path)
            assert refused.json()["error"] == "unauthorized"
            assert refused.headers["www-authenticate"].startswith("Bearer")
        wrong = client.get("/_emulator/requests", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        # Without a tenant config any key is valid, so a key proves nothing here.
        assert client.get("/_emulator/requests", headers=A).status_code == 401
        assert client.get("/_emulator/requests", headers=BEARER).status_code == 200
        doc = client.get("/_emulator/openapi.json", headers=BEARER).json()
    reset = doc["paths"]["/_emulator/reset"]["post"]
    assert reset["security"] == [{"controlToken": []}]
    assert {"401", "403", "503"} <= set(reset["responses"])
    assert doc["components"]["securitySchemes"]["controlToken"]["scheme"] == "bearer"
    assert "security" not in doc["paths"]["/_emulator/health"]["get"] or (
        doc["paths"]["/_emulator/health"]["get"]["security"] == []
    )


def test_a_tenant_key_reaches_only_its_own_data(tenants: TestClient) -> None:
    tenants.get("/v2/predict/users/u", headers=A)
    tenants.get("/v2/predict/users/u", headers=B)
    own = tenants.get("/_emulator/requests", headers=A)
    assert own.status_code == 200
    assert {e["api_key"] for e in own.json()["requests"]} == {mask("team-a")}
    other = tenants.get("/_emulator/requests", params={"api_key": "team-b"}, headers=A)
    assert other.status_code == 403
    # The masked fingerprint of its own key is its own key.
    fingerprint = tenants.get("/_emulator/requests", params={"api_key": mask("team-a")}, headers=A)
    assert fingerprint.status_code == 200
    everyone = tenants.get("/_emulator/requests", headers=BEARER).json()["requests"]
    assert {e["api_key"] for e in everyone} == {mask("team-a"), mask("team-b")}


def test_a_tenant_reset_resets_only_the_tenant(tenants: TestClient) -> None:
    tenants.post("/v2/initiate", headers=A, json={"user_id": "u", "is_initiated": True})
    tenants.post("/v2/initiate", headers=B, json={"user_id": "u", "is_initiated": True})
    answer = tenants.post("/_emulator/reset", headers=A).json()
    assert answer == {"reset": "tenant", "api_key": mask("team-a")}
    state = tenants.get("/_emulator/state", headers=BEARER).json()
    assert set(state["tenants"]) == {"team-b"}
    assert tenants.get("/_emulator/state", headers=A).json()["tenants"] == {}


def test_global_calls_need_the_token(tenants: TestClient) -> None:
    for method, path in [
        ("GET", "/_emulator/tenants"),
        ("GET", "/_emulator/clock"),
        ("POST", "/_emulator/clock"),
        ("PUT", "/_emulator/progression"),
        ("GET", "/_emulator/contract"),
    ]:
        refused = tenants.request(method, path, headers=A)
        # The credential this needs (the token) is missing: 401, not a refusal of it.
        assert refused.status_code == 401, (method, path)
        assert "needs the control token" in refused.json()["message"]
    assert tenants.get("/_emulator/tenants", headers={"x-api-key": "stranger"}).status_code == 401
    # A wrong token is a wrong credential, even next to a right key.
    wrong = {"Authorization": "Bearer wrong", **A}
    assert tenants.get("/_emulator/requests", headers=wrong).status_code == 401
    listed = tenants.get("/_emulator/tenants", headers=BEARER).json()["tenants"]
    assert [t["api_key"] for t in listed] == [mask("team-a"), mask("team-b")]


def test_a_config_without_a_token_has_no_global_calls(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(config=_config(tmp_path)))) as client:
        assert client.get("/_emulator/tenants").status_code == 401
        refused = client.get("/_emulator/tenants", headers=A)
        assert refused.status_code == 401
        assert "--control-token" in refused.json()["message"]
        assert client.post("/_emulator/reset", headers=A).status_code == 200


def test_a_tenant_manages_only_its_own_fault_rules(tenants: TestClient) -> None:
    theirs = tenants.post(
        "/_emulator/faults", headers=BEARER, json={"api_key": "team-b", "latency_ms": 1}
    )
    assert theirs.status_code == 201
    everyone = tenants.post("/_emulator/faults", headers=BEARER, json={"latency_ms": 1})
    mine = tenants.post("/_emulator/faults", headers=A, json={"latency_ms": 1})
    assert mine.status_code == 201
    assert mine.json()["api_key"] == mask("team-a")
    listed = tenants.get("/_emulator/faults", headers=A).json()["rules"]
    assert [r["id"] for r in listed] == [mine.json()["id"]]
    for rule in (theirs.json()["id"], everyone.json()["id"]):
        assert tenants.get(f"/_emulator/faults/{rule}", headers=A).status_code == 404
        assert tenants.delete(f"/_emulator/faults/{rule}", headers=A).status_code == 404
    smuggled = tenants.post(
        "/_emulator/faults", headers=A, json={"api_key": "team-b", "latency_ms": 1}
    )
    assert (smuggled.status_code, smuggled.json()["error"]) == (400, "conflicting_api_key")
    assert "team-b" not in smuggled.text  # the message masks both keys
    mine_again = tenants.put("/_emulator/faults", headers=A, json=[{"latency_ms": 2}] * 2)
    assert [r["api_key"] for r in mine_again.json()["rules"]] == [mask("team-a")] * 2
    assert len(tenants.get("/_emulator/faults", headers=BEARER).json()["rules"]) == 4
    assert tenants.delete("/_emulator/faults", headers=A).json() == {"deleted": 2}
    assert len(tenants.get("/_emulator/faults", headers=BEARER).json()["rules"]) == 2


def test_vendor_controls_take_the_tenant_key(tenants: TestClient) -> None:
    assert tenants.get("/_emulator/kintsugi/sessions", headers=A).status_code == 200
    assert tenants.get("/_emulator/kintsugi/sessions").status_code == 401


def test_scoped_query_fills_in_or_refuses() -> None:
    assert scoped_query(b"limit=3", "team a") == b"limit=3&api_key=team%20a"
    assert scoped_query(b"api_key=team%20a", "team a") == b"api_key=team%20a"
    with pytest.raises(Exception, match="own data"):
        scoped_query(b"api_key=team-b", "team-a")
    with pytest.raises(Exception, match="own data"):
        scoped_query(b"api_key=team-a&api_key=team-b", "team-a")


# --------------------------------------------------------------------------- browsers


def test_login_sets_a_cookie_that_is_not_the_token() -> None:
    with TestClient(create_app(Settings(control_token=TOKEN))) as client:
        assert client.post("/_emulator/login", json={"token": "wrong"}).status_code == 401
        ok = client.post("/_emulator/login", json={"token": TOKEN})
        assert ok.status_code == 200
        cookie = client.cookies.get(COOKIE)
        assert cookie
        assert TOKEN not in cookie
        assert "httponly" in ok.headers["set-cookie"].lower()
        assert "samesite=strict" in ok.headers["set-cookie"].lower()
        assert client.get("/_emulator/requests").status_code == 200
        # A state change by cookie must name its origin, and it must be this server.
        assert client.post("/_emulator/reset").status_code == 403
        same = {"Origin": "http://testserver"}
        assert client.post("/_emulator/reset", headers=same).status_code == 200
        client.post("/_emulator/logout")
        assert client.get("/_emulator/requests").status_code == 401


def test_a_login_form_is_sent_on_to_next() -> None:
    with TestClient(create_app(Settings(control_token=TOKEN)), follow_redirects=False) as c:
        form = {"token": TOKEN, "next": "/_emulator/ui/"}
        answer = c.post("/_emulator/login", data=form)
        assert (answer.status_code, answer.headers["location"]) == (303, "/_emulator/ui/")
        offsite = c.post("/_emulator/login", data={"token": TOKEN, "next": "//evil.example/"})
        assert offsite.status_code == 200
        # A next that is no URL at all is not followed, and not a 500 either.
        broken = c.post("/_emulator/login", data={"token": TOKEN, "next": "http://["})
        assert broken.status_code == 200
        assert c.get("/_emulator/login", params={"next": "http://["}).status_code == 200


def test_a_web_page_elsewhere_cannot_drive_the_control_api() -> None:
    with TestClient(create_app()) as client:
        evil = {"Origin": "http://evil.example"}
        assert client.post("/_emulator/reset", headers=evil).status_code == 403
        assert client.post("/_emulator/reset", headers={"Origin": "null"}).status_code == 403
        assert client.get("/_emulator/requests", headers=evil).status_code == 403
        # Vendor APIs are not the control plane: browsers may call them (CORS is theirs).
        assert client.get("/v2/predict/users/u", headers={**evil, **A}).status_code == 200
        # An Origin that is no URL at all is foreign: a 403 in the control shape, no 500.
        broken = client.get("/_emulator/requests", headers={"Origin": "http://["})
        assert broken.status_code == 403
        assert broken.json()["error"] == "forbidden"


def test_a_root_path_does_not_route_around_the_token() -> None:
    """Behind ``--root-path /emu`` (or mounted below /emu) the router matches the path
    without the root; the access check must see that same path."""
    app = create_app(Settings(control_token=TOKEN))
    with TestClient(app, root_path="/emu", follow_redirects=False) as client:
        for method, path in [("GET", "/emu/_emulator/faults"), ("POST", "/emu/_emulator/reset")]:
            refused = client.request(method, path)
            assert refused.status_code == 401, (method, path)
            assert refused.json()["error"] == "unauthorized"
        assert client.get("/emu/_emulator/faults", headers=BEARER).status_code == 200
        assert client.get("/emu/_emulator/health").status_code == 200
        page = client.get("/emu/_emulator/ui/", headers={"Accept": "text/html"})
        assert page.status_code == 303
        assert page.headers["location"] == "/emu/_emulator/login?next=%2F_emulator%2Fui%2F"


# --------------------------------------------------------------------------- callbacks


class _Echo:
    """A receiver that answers with something worth hiding."""

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="internal metadata: secret-value")


def _delivered(client: TestClient, outbox: Any, api_key: str) -> str:
    delivery = outbox.submit(
        api_key=api_key,
        session_id="s",
        user_id="u",
        event="SESSION_COMPLETE",
        url="http://receiver.test/hook",
        body={"event": "SESSION_COMPLETE"},
        headers={"x-api-key": api_key},
    )
    assert client.post("/_emulator/callbacks/flush", headers=BEARER).status_code == 200
    return str(delivery.id)


def _excerpt(client: TestClient, delivery_id: str, headers: dict[str, str]) -> Any:
    found = client.get(f"/_emulator/callbacks/{delivery_id}", headers=headers)
    assert found.status_code == 200, found.text
    return found.json()["attempts"][0]["response_excerpt"]


def test_a_response_excerpt_is_for_its_tenant_or_the_token(tmp_path: Path) -> None:
    settings = Settings(config=_config(tmp_path), control_token=TOKEN, webhooks=WebhookSettings())
    app = create_app(settings)
    outbox = wire(app, httpx.MockTransport(_Echo()))
    with TestClient(app) as client:
        delivery = _delivered(client, outbox, "team-a")
        assert _excerpt(client, delivery, A) == "internal metadata: secret-value"
        assert _excerpt(client, delivery, BEARER) == "internal metadata: secret-value"
        assert client.get(f"/_emulator/callbacks/{delivery}", headers=B).status_code == 404
        shown = client.get(f"/_emulator/callbacks/{delivery}", headers=A).json()
        assert shown["api_key"] == mask("team-a")
        assert shown["headers"]["x-api-key"] == mask("team-a")


def test_zero_config_hides_excerpts_from_callers_without_the_key() -> None:
    app = create_app()
    outbox = wire(app, httpx.MockTransport(_Echo()))
    with TestClient(app) as client:
        delivery = _delivered(client, outbox, "k1")
        listed = client.get("/_emulator/callbacks").json()["callbacks"][0]["attempts"][0]
        assert listed["response_excerpt"] is None
        assert listed["response_excerpt_hidden"] is True
        assert _excerpt(client, delivery, {"x-api-key": "k1"}) == "internal metadata: secret-value"


def test_a_browser_without_a_session_is_sent_to_the_login_form_then_back() -> None:
    with TestClient(create_app(Settings(control_token=TOKEN)), follow_redirects=False) as c:
        html_accept = {"Accept": "text/html"}
        page = c.get("/_emulator/ui/webhooks", params={"tenant": "demo-key"}, headers=html_accept)
        assert page.status_code == 303
        assert page.headers["location"] == (
            "/_emulator/login?next=%2F_emulator%2Fui%2Fwebhooks%3Ftenant%3Ddemo-key"
        )
        form = c.get(page.headers["location"])
        assert form.status_code == 200
        assert 'name="next" value="/_emulator/ui/webhooks?tenant=demo-key"' in form.text
        assert c.get("/_emulator/ui/", headers={"Accept": "application/json"}).status_code == 401
        back = c.post("/_emulator/login", data={"token": TOKEN, "next": "/_emulator/ui/webhooks"})
        assert (back.status_code, back.headers["location"]) == (303, "/_emulator/ui/webhooks")
        # The inspector passes the session on to its in-process control calls.
        assert c.get("/_emulator/ui/", headers=html_accept).status_code == 200
        assert c.get("/_emulator/ui/journal", headers=html_accept).status_code == 200


def test_the_session_value_works_as_a_bearer_and_the_token_is_never_it() -> None:
    app = create_app(Settings(control_token=TOKEN))
    with TestClient(app) as client:
        session = app.emulator_access.session_cookie()  # type: ignore[attr-defined]
        assert session is not None
        assert TOKEN not in session
        ok = client.get("/_emulator/requests", headers={"Authorization": f"Bearer {session}"})
        assert ok.status_code == 200
        form = client.get("/_emulator/login", params={"next": "//evil.example/x"})
        assert 'value="/_emulator/ui/"' in form.text  # an off-site next is dropped


def test_a_fingerprint_names_a_tenant_but_does_not_reveal_its_excerpts() -> None:
    app = create_app()
    outbox = wire(app, httpx.MockTransport(_Echo()))
    with TestClient(app) as client:
        delivery = _delivered(client, outbox, "k1")
        by_key = client.get("/_emulator/callbacks", params={"api_key": "k1"}).json()
        by_print = client.get("/_emulator/callbacks", params={"api_key": mask("k1")}).json()
        assert [d["id"] for d in by_key["callbacks"]] == [delivery]
        assert [d["id"] for d in by_print["callbacks"]] == [delivery]
        assert by_key["callbacks"][0]["attempts"][0]["response_excerpt"] is not None
        assert by_print["callbacks"][0]["attempts"][0]["response_excerpt"] is None
