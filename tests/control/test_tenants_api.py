"""``GET /_emulator/tenants`` (configured keys and plans, or the open default) and the
control plane's entries in ``GET /_emulator/scenarios``."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.core.secrets import mask
from emulator.settings import Settings

CONFIG = """
[keys."team-a"]
kintsugi = false

[keys."team-b"]
asleep = false
asleep_denied = "Quota exceeded"

[keys."team-b".asleep_plan]
four_stage = false
cadence_minutes = 20
"""

FULL_PLAN = {
    "four_stage": True,
    "breathing": True,
    "realtime": True,
    "webhook_version": "V3",
    "cadence_minutes": 5,
}


def test_without_a_config_every_key_gets_the_default_plan() -> None:
    with TestClient(create_app()) as client:
        assert client.get("/_emulator/tenants").json() == {
            "open": True,
            "defaults": {
                "asleep": True,
                "asleep_denied": "Plan is expired",
                "asleep_plan": FULL_PLAN,
                "kintsugi": True,
            },
        }


def test_with_a_config_the_listed_keys_and_plans(tmp_path: Path) -> None:
    config = tmp_path / "tenants.toml"
    config.write_text(CONFIG, encoding="utf-8")
    settings = Settings(config=str(config), control_token="op-token")
    with TestClient(create_app(settings)) as client:
        body = client.get("/_emulator/tenants", headers={"Authorization": "Bearer op-token"}).json()
    assert body == {
        "open": False,
        "tenants": [
            {
                "api_key": mask("team-a"),
                "kintsugi": False,
                "asleep": True,
                "asleep_denied": "Plan is expired",
                "asleep_plan": FULL_PLAN,
            },
            {
                "api_key": mask("team-b"),
                "kintsugi": True,
                "asleep": False,
                "asleep_denied": "Quota exceeded",
                "asleep_plan": {**FULL_PLAN, "four_stage": False, "cadence_minutes": 20},
            },
        ],
    }


def test_the_control_plane_is_listed_with_the_scenarios() -> None:
    with TestClient(create_app()) as client:
        scenarios = client.get("/_emulator/scenarios").json()["scenarios"]
    ours = {s["name"] for s in scenarios if s["api"] == "emulator"}
    # tests/control/test_contract.py checks that every control endpoint is listed.
    assert {"fault-injection", "virtual-clock", "progression", "snapshots"} <= ours
