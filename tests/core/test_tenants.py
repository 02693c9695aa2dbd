from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from emulator.asleep.settings import AsleepAccess, AsleepAccessSection, AsleepPlan
from emulator.core.tenants import AccessSection, Tenants
from emulator.kintsugi.settings import KintsugiAccess, KintsugiAccessSection

SECTIONS: list[AccessSection[Any]] = [AsleepAccessSection(AsleepPlan()), KintsugiAccessSection()]


def test_open_registry_accepts_any_non_empty_key_with_the_full_plan() -> None:
    tenants = Tenants(SECTIONS)
    assert tenants.lookup(None) is None
    assert tenants.lookup("") is None
    t = tenants.lookup("anything")
    assert t is not None
    assert t.access(KintsugiAccess).enabled
    assert t.access(AsleepAccess) == AsleepAccess(True, "Plan is expired", AsleepPlan())
    assert tenants.defaults() == {
        "asleep": True,
        "asleep_denied": "Plan is expired",
        "asleep_plan": AsleepPlan().to_json(),
        "kintsugi": True,
    }


def test_config_file_lists_keys_plans_and_denials(tmp_path: Path) -> None:
    path = tmp_path / "tenants.toml"
    path.write_text(
        """
[keys."team-a".asleep_plan]
four_stage = false
breathing = false
webhook_version = "V1"

[keys."no-kintsugi"]
kintsugi = false
asleep = false
asleep_denied = "Quota exceeded"
""",
        encoding="utf-8",
    )
    tenants = Tenants.from_file(path, SECTIONS)
    assert tenants.lookup("unknown") is None
    a = tenants.lookup("team-a")
    assert a is not None
    assert a.access(AsleepAccess).plan == AsleepPlan(
        four_stage=False, breathing=False, webhook_version="V1"
    )
    b = tenants.lookup("no-kintsugi")
    assert b is not None
    assert not b.access(KintsugiAccess).enabled
    assert b.access(AsleepAccess).denied == "Quota exceeded"
    assert not b.access(AsleepAccess).enabled
    assert b.to_json()["kintsugi"] is False


def test_json_config(tmp_path: Path) -> None:
    path = tmp_path / "tenants.json"
    path.write_text('{"keys": {"k": {"asleep_plan": {"realtime": false}}}}', encoding="utf-8")
    t = Tenants.from_file(path, SECTIONS).lookup("k")
    assert t is not None
    assert t.access(AsleepAccess).plan.realtime is False


def test_a_default_plan_reaches_listed_keys_without_a_plan_of_their_own() -> None:
    sections: list[AccessSection[Any]] = [AsleepAccessSection(AsleepPlan(webhook_version="V2"))]
    tenants = Tenants.from_document({"keys": {"k": {}}}, sections)
    t = tenants.lookup("k")
    assert t is not None
    assert t.access(AsleepAccess).plan.webhook_version == "V2"


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({}, "non-empty"),
        ([], "non-empty"),
        ({"keys": {"k": {"colour": "red"}}}, "unknown entries colour"),
        ({"keys": {"k": "yes"}}, "must be a table"),
        ({"keys": {"k": {"asleep_denied": "nope"}}}, "asleep_denied"),
        ({"keys": {"k": {"asleep_plan": {"cadence_minutes": 7}}}}, "cadence"),
        ({"keys": {"k": {"asleep_plan": {"cadence_minutes": "5"}}}}, "cadence"),
        ({"keys": {"k": {"asleep_plan": {"stages": 2}}}}, "asleep_plan takes"),
        # Strict types: a string is not a boolean, however truthy it looks.
        ({"keys": {"k": {"kintsugi": "false"}}}, "kintsugi must be true or false"),
        ({"keys": {"k": {"asleep": 0}}}, "asleep must be true or false"),
        ({"keys": {"k": {"asleep_plan": {"breathing": "no"}}}}, "breathing must be true"),
        ({"keys": {"k": {"asleep_plan": {"webhook_version": "V4"}}}}, "V1, V2 or V3"),
    ],
)
def test_bad_configs_are_refused_clearly(doc: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Tenants.from_document(doc, SECTIONS)
