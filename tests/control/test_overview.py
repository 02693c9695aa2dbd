"""GET /_emulator/overview (emulator.control.overview): keys with their counts, the clock."""

from __future__ import annotations

import json
from pathlib import Path

from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.core.secrets import mask
from emulator.settings import Settings

START = "2025-03-01T12:00:00Z"


def test_keys_holding_state_with_counts_per_vendor() -> None:
    with TestClient(create_app(Settings(clock_start=START, clock_frozen=True))) as client:
        empty = client.get("/_emulator/overview").json()
        assert empty["tenants"] == []
        assert empty["clock"] == {"now": "2025-03-01T12:00:00+00:00", "frozen": True}
        assert [v["name"] for v in empty["vendors"]] == ["asleep", "kintsugi"]
        client.post("/_emulator/demo", params={"api_key": "b-key"})
        client.post("/ai/v1/users", headers={"x-api-key": "a-key"})
        # A read with a key that holds nothing does not make it a tenant worth listing.
        client.get("/v2/predict/users/x", headers={"x-api-key": "reader"})
        found = client.get("/_emulator/overview").json()
    assert [t["api_key"] for t in found["tenants"]] == ["a-key", "b-key"]
    a, b = found["tenants"]
    assert a["counts"]["asleep"] == {"users": 1, "sessions": 0, "complete": 0}
    assert a["counts"]["kintsugi"] == {"users": 0, "sessions": 0, "predictions": 0}
    assert b["counts"]["asleep"]["sessions"] == b["counts"]["asleep"]["complete"] == 92
    assert b["counts"]["kintsugi"]["predictions"] == 25
    assert found["total"] == 2
    assert found["open"] is True


def test_configured_keys_come_first_even_when_empty(tmp_path: Path) -> None:
    config = tmp_path / "tenants.json"
    config.write_text(json.dumps({"keys": {"zeta": {}, "alpha": {}}}))
    settings = Settings(config=str(config), control_token="op")
    with TestClient(create_app(settings)) as client:
        client.post("/ai/v1/users", headers={"x-api-key": "alpha"})
        found = client.get("/_emulator/overview", headers={"Authorization": "Bearer op"}).json()
    assert [(t["api_key"], t["configured"]) for t in found["tenants"]] == [
        ("zeta", True),
        ("alpha", True),
    ]
    assert found["tenants"][0]["counts"] == {"asleep": {}, "kintsugi": {}}


def test_pages_and_bad_paging() -> None:
    with TestClient(create_app(Settings())) as client:
        for key in ("k1", "k2", "k3"):
            client.post("/ai/v1/users", headers={"x-api-key": key})
        page = client.get("/_emulator/overview", params={"limit": 2, "offset": 1}).json()
        assert [t["api_key"] for t in page["tenants"]] == ["k2", "k3"]
        # The fingerprint another listing shows names the tenant too (?api_key=).
        by_fingerprint = client.get("/_emulator/requests", params={"api_key": mask("k2")})
        assert {e["api_key"] for e in by_fingerprint.json()["requests"]} == {mask("k2")}
        assert page["total"] == 3
        for params in ({"limit": "0"}, {"limit": "1001"}, {"offset": "-1"}, {"limit": "x"}):
            bad = client.get("/_emulator/overview", params=params)
            assert bad.status_code == 400
            assert bad.json()["error"] == "bad_request"
