from __future__ import annotations

from pathlib import Path

import pytest

from emulator.core.tenants import AsleepPlan, Tenants


def test_open_registry_accepts_any_non_empty_key_with_the_full_plan() -> None:
    tenants = Tenants()
    assert tenants.lookup(None) is None
    assert tenants.lookup("") is None
    t = tenants.lookup("anything")
    assert t is not None
    assert (t.kintsugi, t.asleep, t.asleep_plan) == (True, True, AsleepPlan())


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
    tenants = Tenants.from_file(path)
    assert tenants.lookup("unknown") is None
    a = tenants.lookup("team-a")
    assert a is not None
    assert a.asleep_plan == AsleepPlan(four_stage=False, breathing=False, webhook_version="V1")
    b = tenants.lookup("no-kintsugi")
    assert b is not None
    assert (b.kintsugi, b.asleep, b.asleep_denied) == (False, False, "Quota exceeded")


def test_json_config(tmp_path: Path) -> None:
    path = tmp_path / "tenants.json"
    path.write_text('{"keys": {"k": {"asleep_plan": {"realtime": false}}}}', encoding="utf-8")
    t = Tenants.from_file(path).lookup("k")
    assert t is not None
    assert t.asleep_plan.realtime is False


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({}, "non-empty"),
        ({"keys": {"k": {"colour": "red"}}}, "unknown entries"),
        ({"keys": {"k": {"asleep_denied": "nope"}}}, "asleep_denied"),
        ({"keys": {"k": {"asleep_plan": {"cadence_minutes": 7}}}}, "cadence"),
        ({"keys": {"k": {"asleep_plan": {"stages": 2}}}}, "asleep_plan takes"),
    ],
)
def test_bad_configs_are_refused_clearly(doc: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Tenants.from_document(doc)
