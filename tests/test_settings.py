from __future__ import annotations

import pytest

from emulator.settings import Settings


def test_defaults_match_the_vendors() -> None:
    s = Settings()
    assert (s.host, s.port, s.seed) == ("127.0.0.1", 8080, 0)
    assert s.kintsugi.min_sample_rate == 8000
    assert s.kintsugi.min_voice_seconds == 30.0
    assert s.asleep.max_body_bytes == 16_777_216
    assert s.asleep.allowed_rates == (16000, 44100, 48000)


def test_environment_twins_for_top_level_and_section_fields() -> None:
    s = Settings.from_env(
        {
            "EMULATOR_PORT": "9000",
            "EMULATOR_SEED": "42",
            "EMULATOR_LOG_LEVEL": "debug",
            "EMULATOR_DEMO": "yes",
            "EMULATOR_KINTSUGI_MIN_VOICE_SECONDS": "5",
            "EMULATOR_ASLEEP_ALLOWED_RATES": "16000, 48000",
            "EMULATOR_ASLEEP_OPEN_SESSION_POLICY": "conflict",
            "EMULATOR_CONFIG": "",
        }
    )
    assert (s.port, s.seed, s.log_level, s.demo) == (9000, 42, "debug", True)
    assert s.kintsugi.min_voice_seconds == 5.0
    assert s.asleep.allowed_rates == (16000, 48000)
    assert s.asleep.open_session_policy == "conflict"
    assert s.config is None


def test_explicit_overrides_beat_the_environment() -> None:
    s = Settings.from_env({"EMULATOR_PORT": "9000"}, port=9100, seed=None)
    assert s.port == 9100
    assert s.seed == 0


def test_dotted_assignments() -> None:
    s = Settings().with_dotted({"kintsugi.progression": "manual", "seed": "3"})
    assert s.kintsugi.progression == "manual"
    assert s.seed == 3


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"EMULATOR_PORT": "eighty"}, "port"),
        ({"EMULATOR_DEMO": "maybe"}, "boolean"),
        ({"EMULATOR_ASLEEP_OPEN_SESSION_POLICY": "sometimes"}, "one of"),
    ],
)
def test_bad_values_are_reported_by_name(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Settings.from_env(env)


def test_unknown_dotted_names_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown"):
        Settings().with_dotted({"kintsugi.nope": "1"})
    with pytest.raises(ValueError, match="unknown"):
        Settings().with_dotted({"nope.field": "1"})
