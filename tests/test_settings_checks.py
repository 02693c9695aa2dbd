"""Start-up checks: numbers in range, known log levels, usable files, one-line messages."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator import settings as preflight
from emulator.settings import BOUNDS, ConfigError, Settings, check


def with_value(dotted: str, value: Any) -> Settings:
    section, _, name = dotted.rpartition(".")
    settings = Settings()
    if not section:
        return dataclasses.replace(settings, **{name: value})
    updated = dataclasses.replace(getattr(settings, section), **{name: value})
    return dataclasses.replace(settings, **{section: updated})


def test_the_defaults_pass() -> None:
    check(Settings())


def test_every_bound_names_a_setting() -> None:
    for dotted in BOUNDS:
        owner: object = Settings()
        for part in dotted.split("."):
            assert hasattr(owner, part), dotted
            owner = getattr(owner, part)


@pytest.mark.parametrize(
    ("dotted", "value", "phrase"),
    [
        ("port", 65536, "between 0 and 65535"),
        ("journal_size", -1, "journal_size = -1"),
        ("body_timeout_seconds", 0.0, "between 0.001 and"),
        ("asleep.chunk_seconds", 0.0, "between 0.001 and"),
        ("kintsugi.v1_predict_status", 99, "between 100 and 599"),
        ("kintsugi.progression_seconds", float("inf"), "= inf"),
        ("asleep.progression_seconds", 1e12, "between 0 and 1000000000"),
        ("asleep.allowed_rates", (16000, -1), "asleep.allowed_rates = -1"),
    ],
)
def test_out_of_range_numbers_are_named(dotted: str, value: object, phrase: str) -> None:
    with pytest.raises(ConfigError) as caught:
        check(with_value(dotted, value), flags={"port": "--port"})
    message = str(caught.value)
    assert phrase in message
    assert preflight.env_name(dotted) in message
    assert "\n" not in message


@given(st.integers())
def test_any_seed_is_fine(seed: int) -> None:
    check(with_value("seed", seed))


@pytest.mark.parametrize("level", ["LOUD", "verbose", ""])
def test_unknown_log_levels_are_refused(level: str) -> None:
    with pytest.raises(ConfigError, match="log level"):
        check(with_value("log_level", level))


def test_log_levels_ignore_case() -> None:
    check(with_value("log_level", "DEBUG"))


def test_a_state_file_needs_a_writable_directory(tmp_path: Path) -> None:
    check(with_value("state_file", str(tmp_path / "new.db")))
    with pytest.raises(ConfigError, match="does not exist"):
        check(with_value("state_file", str(tmp_path / "no" / "new.db")))
    with pytest.raises(ConfigError, match="is a directory"):
        check(with_value("state_file", str(tmp_path)))


def test_a_config_file_must_parse(tmp_path: Path) -> None:
    good = tmp_path / "tenants.json"
    good.write_text('{"keys": {"k": {}}}', encoding="utf-8")
    check(with_value("config", str(good)))
    bad = tmp_path / "tenants.toml"
    bad.write_text("[keys\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"tenants.toml: not valid TOML: .*line 1"):
        check(with_value("config", str(bad)))
