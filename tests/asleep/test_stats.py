"""Session statistics: the documented example, pysleep parity, invariants, null rules."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pysleep import SleepStageCalculator

from emulator.asleep.documents import STAT_KEYS, V2_STAT_KEYS
from emulator.asleep.night import final_night
from emulator.asleep.profiles import Profile
from emulator.asleep.stats import (
    BreathingPattern,
    LegacyBreathingPattern,
    Stat,
    breathing_pattern_for,
    compute_stat,
    has_sleep,
    legacy_breathing_pattern_for,
    render_v2,
    render_v3,
)

EXAMPLE_START = datetime(2025, 1, 15, 2, 50, 29, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _stat(
    sleep: list[int],
    breath: list[int] | None = None,
    snoring: list[int] | None = None,
    *,
    four_stage: bool = True,
    breathing: bool = False,
    start: datetime = EXAMPLE_START,
) -> Stat:
    stat = compute_stat(
        sleep,
        breath,
        [0] * len(sleep) if snoring is None else snoring,
        start,
        start + timedelta(seconds=30 * len(sleep)),
        four_stage=four_stage,
        breathing=breathing,
    )
    assert stat is not None
    return stat


# --------------------------------------------------------------------------- documented example


def test_documented_example_exactly() -> None:
    # asleep-api.md §3.7.1: 120 epochs, first sleep at 30, last at 71, light only,
    # one 6-epoch wake inside the sleep period, no snoring, no breathing plan.
    sleep = [0] * 30 + [1] * 20 + [0] * 6 + [1] * 16 + [0] * 48
    assert len(sleep) == 120
    assert sleep.index(1) == 30
    assert max(i for i, v in enumerate(sleep) if v) == 71
    stat = compute_stat(
        sleep,
        None,
        [0] * 120,
        EXAMPLE_START,
        datetime(2025, 1, 15, 3, 50, 29, tzinfo=UTC),
        four_stage=True,
        breathing=False,
    )
    assert stat is not None
    documented = {
        "sleep_time": "2025-01-15T03:05:29+00:00",
        "wake_time": "2025-01-15T03:26:29+00:00",
        "sleep_index": 50,
        "sleep_latency": 900,
        "wakeup_latency": 1440,
        "light_latency": 0,
        "deep_latency": None,
        "rem_latency": None,
        "time_in_bed": 3600,
        "time_in_sleep_period": 1260,
        "time_in_sleep": 1080,
        "time_in_wake": 180,
        "time_in_light": 1080,
        "time_in_deep": 0,
        "time_in_rem": 0,
        "time_in_stable_breath": None,
        "time_in_unstable_breath": None,
        "time_in_snoring": 0,
        "time_in_no_snoring": 1260,
        "sleep_efficiency": 0.3,
        "sleep_ratio": 0.86,
        "wake_ratio": 0.14,
        "light_ratio": 0.86,
        "deep_ratio": 0.0,
        "rem_ratio": 0.0,
        "stable_breath_ratio": None,
        "unstable_breath_ratio": None,
        "snoring_ratio": 0.0,
        "no_snoring_ratio": 1.0,
        "breathing_index": None,
        "breathing_pattern": None,
        "waso_count": 1,
        "longest_waso": 180,
        "sleep_cycle_count": 0,
    }
    rendered = render_v3(stat, iso)
    # The documented prefix, in order and with identical values and JSON types.
    assert list(rendered)[: len(documented)] == list(documented)
    for key, value in documented.items():
        assert rendered[key] == value, key
        assert type(rendered[key]) is type(value), key
    # The keys cut off in the archived copy (asleep-api.md §3.7.1, INFERRED).
    assert rendered["sleep_cycle"] is None
    assert rendered["sleep_cycle_time"] == []
    assert rendered["unstable_breath_count"] is None
    assert rendered["snoring_count"] == 0


def test_stat_keys_follow_the_documented_order() -> None:
    # Seed 001 §2.1.6 table / JSON example order.
    documented = [
        "sleep_time",
        "wake_time",
        "sleep_index",
        "sleep_latency",
        "wakeup_latency",
        "light_latency",
        "deep_latency",
        "rem_latency",
        "time_in_bed",
        "time_in_sleep_period",
        "time_in_sleep",
        "time_in_wake",
        "time_in_light",
        "time_in_deep",
        "time_in_rem",
        "time_in_stable_breath",
        "time_in_unstable_breath",
        "time_in_snoring",
        "time_in_no_snoring",
        "sleep_efficiency",
        "sleep_ratio",
        "wake_ratio",
        "light_ratio",
        "deep_ratio",
        "rem_ratio",
        "stable_breath_ratio",
        "unstable_breath_ratio",
        "snoring_ratio",
        "no_snoring_ratio",
        "breathing_index",
        "breathing_pattern",
        "waso_count",
        "longest_waso",
        "sleep_cycle_count",
        "sleep_cycle",
        "sleep_cycle_time",
        "unstable_breath_count",
        "snoring_count",
    ]
    assert list(STAT_KEYS) == documented
    stat = _stat([0, 1, 1, 0])
    assert list(render_v3(stat, iso)) == documented


# --------------------------------------------------------------------------- -1 handling


def test_missing_epochs_follow_the_reference_semantics() -> None:
    # -1 is non-wake when locating sleep onset/offset and is never counted
    # (pysleep moments == sleep-stats-ts calculateKeyMoments).
    stat = _stat([-1, 0, 1, 1, 0, -1, 0, 0])
    assert stat.sleep_latency == 0
    assert stat.wakeup_latency == 60
    assert stat.time_in_light == 60
    assert stat.time_in_wake == 60
    assert stat.time_in_sleep_period == 120
    assert stat.time_in_bed == 240
    assert stat.sleep_efficiency == 0.25
    assert stat.waso_count == 2
    assert stat.longest_waso == 30
    assert (stat.wake_ratio, stat.light_ratio) == (0.5, 0.5)


def test_only_missing_and_wake_is_never_slept() -> None:
    stat = _stat([0, -1, -1, 0, 0])
    assert not has_sleep([0, -1, -1, 0, 0])
    assert stat.never_slept
    assert stat.time_in_sleep_period == 0
    assert stat.time_in_wake == 0
    assert stat.waso_count == 0


# --------------------------------------------------------------------------- null rules

NEVER_SLEPT_NULLS = {
    # Seed 001 §2.1.6, verbatim list ...
    "sleep_latency",
    "sleep_time",
    "wakeup_latency",
    "wake_time",
    "wake_ratio",
    "sleep_ratio",
    "rem_ratio",
    "light_ratio",
    "deep_ratio",
    "stable_breath_ratio",
    "unstable_breath_ratio",
    "breathing_pattern",
    "breathing_index",
    "light_latency",
    "deep_latency",
    "rem_latency",
    "sleep_cycle",
    "longest_waso",
    "sleep_index",
    # ... plus the INFERRED snoring ratios (a ratio over an empty sleep period).
    "snoring_ratio",
    "no_snoring_ratio",
}
STAGE_NULLS = {
    "time_in_light",
    "time_in_deep",
    "time_in_rem",
    "light_ratio",
    "deep_ratio",
    "rem_ratio",
    "light_latency",
    "deep_latency",
    "rem_latency",
}
BREATH_NULLS = {
    "time_in_stable_breath",
    "time_in_unstable_breath",
    "stable_breath_ratio",
    "unstable_breath_ratio",
    "breathing_pattern",
    "breathing_index",
    "unstable_breath_count",
}


def _nulls(stat: Stat) -> set[str]:
    return {key for key, value in render_v3(stat, iso).items() if value is None}


def test_never_slept_nulls_exactly_the_documented_fields() -> None:
    stat = _stat([0] * 100, [0] * 100, breathing=True)
    assert _nulls(stat) == NEVER_SLEPT_NULLS
    rendered = render_v3(stat, iso)
    assert rendered["time_in_bed"] == 3000
    assert rendered["time_in_sleep"] == rendered["time_in_sleep_period"] == 0
    assert rendered["sleep_efficiency"] == 0.0
    assert rendered["sleep_cycle_time"] == []
    assert rendered["waso_count"] == rendered["sleep_cycle_count"] == 0
    assert rendered["time_in_stable_breath"] == rendered["unstable_breath_count"] == 0


def test_two_stage_plan_nulls_light_deep_rem() -> None:
    night = final_night(4, "k", Profile.NORMAL, 960)
    four = _stat(
        night.sleep.tolist(), night.breath.tolist(), night.snoring.tolist(), breathing=True
    )
    two = _stat(
        night.sleep.tolist(),
        night.breath.tolist(),
        night.snoring.tolist(),
        four_stage=False,
        breathing=True,
    )
    # No REM in the 2-stage plan, so no cycle either: its average length is null too.
    assert _nulls(two) == STAGE_NULLS | {"sleep_cycle"}
    assert _nulls(four) == set()
    for key in ("time_in_sleep", "time_in_wake", "sleep_latency", "sleep_ratio", "waso_count"):
        assert getattr(two, key) == getattr(four, key), key
    assert two.sleep_cycle_count == 0  # no REM to cluster


def test_no_breathing_plan_nulls_breath_fields_even_with_breath_stages() -> None:
    night = final_night(4, "k", Profile.SEVERE_UNSTABLE_BREATHING, 960)
    stat = _stat(night.sleep.tolist(), night.breath.tolist(), night.snoring.tolist())
    assert _nulls(stat) == BREATH_NULLS


def test_missing_snoring_stages_null_the_snoring_fields() -> None:
    stat = compute_stat(
        [0, 1, 1, 0],
        None,
        None,
        EXAMPLE_START,
        EXAMPLE_START + timedelta(minutes=2),
        four_stage=True,
        breathing=False,
    )
    assert stat is not None
    assert {"time_in_snoring", "time_in_no_snoring", "snoring_ratio", "no_snoring_ratio"} <= (
        _nulls(stat)
    )
    assert stat.snoring_count is None


# --------------------------------------------------------------------------- input checks


def test_input_validation() -> None:
    end = EXAMPLE_START + timedelta(hours=1)
    naive = datetime(2025, 1, 15)
    with pytest.raises(ValueError, match="aware"):
        compute_stat(
            [0], None, None, naive, naive + timedelta(hours=1), four_stage=True, breathing=False
        )
    with pytest.raises(ValueError, match="sleep stages"):
        compute_stat([0, 5], None, None, EXAMPLE_START, end, four_stage=True, breathing=False)
    with pytest.raises(ValueError, match="snoring"):
        compute_stat([0, 1], None, [0], EXAMPLE_START, end, four_stage=True, breathing=False)
    with pytest.raises(ValueError, match="breath_stages are required"):
        compute_stat([0, 1], None, None, EXAMPLE_START, end, four_stage=True, breathing=True)
    with pytest.raises(ValueError, match="end_time"):
        compute_stat([0, 1], None, None, end, EXAMPLE_START, four_stage=True, breathing=False)
    assert (
        compute_stat([], None, None, EXAMPLE_START, end, four_stage=True, breathing=False) is None
    )


# --------------------------------------------------------------------------- breathing


@pytest.mark.parametrize(
    ("index", "pattern", "legacy"),
    [
        (0.0, BreathingPattern.STABLE_BREATH, LegacyBreathingPattern.VERY_STABLE),
        (4.99, BreathingPattern.STABLE_BREATH, LegacyBreathingPattern.VERY_STABLE),
        (5.0, BreathingPattern.MILDLY_UNSTABLE_BREATH, LegacyBreathingPattern.STABLE),
        (15.0, BreathingPattern.MODERATELY_UNSTABLE_BREATH, LegacyBreathingPattern.UNSTABLE),
        (29.71, BreathingPattern.MODERATELY_UNSTABLE_BREATH, LegacyBreathingPattern.UNSTABLE),
        (30.0, BreathingPattern.SEVERELY_UNSTABLE_BREATH, LegacyBreathingPattern.VERY_UNSTABLE),
        (64.83, BreathingPattern.SEVERELY_UNSTABLE_BREATH, LegacyBreathingPattern.VERY_UNSTABLE),
    ],
)
def test_breathing_pattern_bands(
    index: float, pattern: BreathingPattern, legacy: LegacyBreathingPattern
) -> None:
    assert breathing_pattern_for(index) is pattern
    assert legacy_breathing_pattern_for(index) is legacy


def test_breathing_metrics_by_hand() -> None:
    # 120 epochs of light sleep (1 h), 12 of them unstable in 3 runs.
    breath = [0] * 120
    for start in (10, 50, 90):
        breath[start : start + 4] = [1] * 4
    stat = _stat([1] * 120, breath, breathing=True)
    assert stat.time_in_unstable_breath == 360
    assert stat.time_in_stable_breath == 3240
    assert stat.unstable_breath_ratio == 0.1
    assert stat.stable_breath_ratio == 0.9
    assert stat.unstable_breath_count == 3
    assert stat.breathing_index == 12.0  # unstable epochs per hour of sleep
    assert stat.breathing_pattern is BreathingPattern.MILDLY_UNSTABLE_BREATH


@pytest.mark.parametrize(
    ("profile", "pattern"),
    [
        (Profile.NORMAL, BreathingPattern.STABLE_BREATH),
        (Profile.GOOD_SLEEPER, BreathingPattern.STABLE_BREATH),
        (Profile.HEAVY_SNORER, BreathingPattern.STABLE_BREATH),
        (Profile.MILD_UNSTABLE_BREATHING, BreathingPattern.MILDLY_UNSTABLE_BREATH),
        (Profile.MODERATE_UNSTABLE_BREATHING, BreathingPattern.MODERATELY_UNSTABLE_BREATH),
        (Profile.SEVERE_UNSTABLE_BREATHING, BreathingPattern.SEVERELY_UNSTABLE_BREATH),
    ],
)
def test_profiles_land_in_their_breathing_band(profile: Profile, pattern: BreathingPattern) -> None:
    for seed in range(30):
        night = final_night(seed, f"session-{seed}", profile, 960)
        stat = _stat(
            night.sleep.tolist(), night.breath.tolist(), night.snoring.tolist(), breathing=True
        )
        assert stat.breathing_pattern is pattern, (seed, stat.breathing_index)


def test_heavy_snorer_snores_much_more_than_normal() -> None:
    def ratios(profile: Profile) -> list[float]:
        result = []
        for seed in range(20):
            night = final_night(seed, f"session-{seed}", profile, 960)
            stat = _stat(night.sleep.tolist(), snoring=night.snoring.tolist())
            assert stat.snoring_ratio is not None
            result.append(stat.snoring_ratio)
        return result

    assert min(ratios(Profile.HEAVY_SNORER)) > 0.15 > max(ratios(Profile.NORMAL))


def test_never_slept_profile_gives_a_never_slept_stat() -> None:
    night = final_night(1, "k", Profile.NEVER_SLEPT, 960)
    stat = _stat(night.sleep.tolist(), night.breath.tolist(), breathing=True)
    assert stat.never_slept
    assert _nulls(stat) == NEVER_SLEPT_NULLS


# --------------------------------------------------------------------------- v2 legacy


def test_v2_dict_has_the_v1_era_fields_in_order() -> None:
    night = final_night(2, "k", Profile.MODERATE_UNSTABLE_BREATHING, 960)
    stat = _stat(night.sleep.tolist(), night.breath.tolist(), breathing=True)
    legacy = render_v2(stat, iso)
    assert list(legacy) == list(V2_STAT_KEYS)
    assert legacy["estimated_ahi"] == stat.breathing_index
    assert legacy["breathing_pattern"] == "UNSTABLE"
    assert stat.sleep_time is not None
    assert legacy["sleep_time"] == iso(stat.sleep_time)
    for key in V2_STAT_KEYS:
        if key not in {"estimated_ahi", "breathing_pattern", "sleep_time", "wake_time"}:
            assert legacy[key] == getattr(stat, key), key


def test_v2_null_rules() -> None:
    no_breathing = render_v2(_stat([0, 1, 1, 0]), iso)
    assert no_breathing["estimated_ahi"] is None
    assert no_breathing["breathing_pattern"] is None
    assert no_breathing["stable_breath_ratio"] is None
    never = render_v2(_stat([0] * 50, [0] * 50, breathing=True), iso)
    # Seed 000 §1.3.3 never-slept list.
    for key in [
        "sleep_latency",
        "sleep_time",
        "wakeup_latency",
        "wake_time",
        "wake_ratio",
        "sleep_ratio",
        "rem_ratio",
        "light_ratio",
        "deep_ratio",
        "stable_breath_ratio",
        "unstable_breath_ratio",
        "breathing_pattern",
        "estimated_ahi",
    ]:
        assert never[key] is None, key
    assert never["time_in_bed"] == 1500


# --------------------------------------------------------------------------- invariants


@st.composite
def hypnograms(draw: st.DrawFn) -> tuple[list[int], list[int], list[int]]:
    runs = draw(
        st.lists(
            st.tuples(st.sampled_from([-1, 0, 1, 2, 3]), st.integers(1, 40)),
            min_size=1,
            max_size=40,
        )
    )
    sleep = [stage for stage, length in runs for _ in range(length)]
    n = len(sleep)
    breath = draw(st.lists(st.sampled_from([-1, 0, 1]), min_size=n, max_size=n))
    snoring = draw(st.lists(st.sampled_from([-1, 0, 1]), min_size=n, max_size=n))
    return sleep, breath, snoring


@settings(max_examples=300, deadline=None)
@given(night=hypnograms(), four_stage=st.booleans(), breathing=st.booleans())
def test_invariants_over_random_hypnograms(
    night: tuple[list[int], list[int], list[int]], four_stage: bool, breathing: bool
) -> None:
    sleep, breath, snoring = night
    n = len(sleep)
    stat = _stat(sleep, breath, snoring, four_stage=four_stage, breathing=breathing)
    slept = any(stage > 0 for stage in sleep)
    nulls = _nulls(stat)

    assert stat.time_in_bed == 30 * n
    assert stat.time_in_sleep_period == stat.time_in_sleep + stat.time_in_wake
    if four_stage:
        assert stat.time_in_light is not None
        assert stat.time_in_deep is not None
        assert stat.time_in_rem is not None
        assert stat.time_in_sleep == stat.time_in_light + stat.time_in_deep + stat.time_in_rem
    else:
        assert nulls >= STAGE_NULLS
    if not breathing:
        assert nulls >= BREATH_NULLS

    assert stat.time_in_snoring is not None
    assert stat.time_in_no_snoring is not None
    assert stat.time_in_snoring + stat.time_in_no_snoring == stat.time_in_sleep_period
    if breathing:
        assert stat.time_in_stable_breath is not None
        assert stat.time_in_unstable_breath is not None
        assert (
            stat.time_in_stable_breath + stat.time_in_unstable_breath == stat.time_in_sleep_period
        )

    if not slept:
        assert nulls >= NEVER_SLEPT_NULLS
        return
    assert stat.sleep_latency is not None
    assert stat.wakeup_latency is not None
    assert stat.sleep_index is not None
    assert 50 <= stat.sleep_index <= 100
    if -1 not in sleep:
        assert stat.sleep_latency + stat.time_in_sleep_period + stat.wakeup_latency == 30 * n
    else:
        assert stat.sleep_latency + stat.time_in_sleep_period + stat.wakeup_latency <= 30 * n
    assert stat.sleep_ratio is not None
    assert stat.wake_ratio is not None
    assert math.isclose(stat.sleep_ratio + stat.wake_ratio, 1.0, abs_tol=1e-9)
    if stat.time_in_sleep_period and four_stage:
        ratios = (stat.wake_ratio, stat.light_ratio, stat.deep_ratio, stat.rem_ratio)
        assert all(r is not None and 0.0 <= r <= 1.0 and round(r, 2) == r for r in ratios)
        assert math.isclose(math.fsum(r for r in ratios if r is not None), 1.0, abs_tol=1e-9)
    assert stat.snoring_ratio is not None
    assert stat.no_snoring_ratio is not None
    assert math.isclose(stat.snoring_ratio + stat.no_snoring_ratio, 1.0, abs_tol=1e-9)
    assert stat.sleep_time is not None
    assert stat.wake_time is not None
    assert stat.sleep_time == EXAMPLE_START + timedelta(seconds=stat.sleep_latency)
    assert stat.wake_time <= EXAMPLE_START + timedelta(seconds=30 * n)
    assert len(stat.sleep_cycle_time) == (
        stat.sleep_cycle_count + 1 if stat.sleep_cycle_count else 0
    )
    assert stat.longest_waso is not None
    assert stat.longest_waso <= stat.time_in_wake


def _json_types(rendered: dict[str, Any]) -> None:
    ints = {k for k in STAT_KEYS if k.startswith(("time_in", "waso", "sleep_cycle_count"))}
    ints |= {k for k in STAT_KEYS if k.endswith(("latency", "_count"))}
    ints |= {"sleep_index", "longest_waso", "sleep_cycle"}
    floats = {k for k in STAT_KEYS if k.endswith("ratio")} | {"sleep_efficiency", "breathing_index"}
    for key in ints:
        assert rendered[key] is None or type(rendered[key]) is int, key
    for key in floats:
        assert rendered[key] is None or type(rendered[key]) is float, key


@settings(max_examples=100, deadline=None)
@given(night=hypnograms())
def test_rendered_values_have_documented_json_types(
    night: tuple[list[int], list[int], list[int]],
) -> None:
    sleep, breath, snoring = night
    rendered = render_v3(_stat(sleep, breath, snoring, breathing=True), iso)
    _json_types(rendered)
    assert all(isinstance(t, str) for t in rendered["sleep_cycle_time"])
    assert rendered["breathing_pattern"] is None or rendered["breathing_pattern"] in {
        p.value for p in BreathingPattern
    }


# --------------------------------------------------------------------------- pysleep parity


@settings(max_examples=150, deadline=None)
@given(night=hypnograms())
def test_stage_metrics_equal_pysleep(night: tuple[list[int], list[int], list[int]]) -> None:
    sleep = [max(stage, 0) for stage in night[0]]  # pysleep itself rejects -1
    if not any(sleep):
        sleep[0] = 1
    start = EXAMPLE_START
    end = start + timedelta(seconds=30 * len(sleep))
    reference: Any = SleepStageCalculator().calculate(sleep, start, end)
    ours = _stat(sleep)

    def seconds(value: timedelta | None) -> int | None:
        return None if value is None else round(value.total_seconds())

    assert ours.sleep_time == reference.sleep_time
    assert ours.wake_time == reference.wake_time
    for key in [
        "sleep_latency",
        "wakeup_latency",
        "light_latency",
        "deep_latency",
        "rem_latency",
        "time_in_bed",
        "time_in_sleep_period",
        "time_in_sleep",
        "time_in_wake",
        "time_in_light",
        "time_in_deep",
        "time_in_rem",
        "longest_waso",
    ]:
        assert getattr(ours, key) == seconds(getattr(reference, key)), key
    for key in [
        "sleep_efficiency",
        "sleep_ratio",
        "wake_ratio",
        "light_ratio",
        "deep_ratio",
        "rem_ratio",
        "waso_count",
        "sleep_cycle_count",
    ]:
        assert getattr(ours, key) == getattr(reference, key), key
    assert list(ours.sleep_cycle_time) == reference.sleep_cycle_time
    expected_cycle = seconds(reference.sleep_cycle)
    assert ours.sleep_cycle == (
        None if expected_cycle is None else math.floor(reference.sleep_cycle.total_seconds() + 0.5)
    )


def test_generated_night_accepts_numpy_arrays() -> None:
    night = final_night(9, "k", Profile.NORMAL, 960)
    from_arrays = compute_stat(
        night.sleep,
        night.breath,
        night.snoring,
        EXAMPLE_START,
        EXAMPLE_START + timedelta(hours=8),
        four_stage=True,
        breathing=True,
    )
    from_lists = _stat(*night.to_lists(), breathing=True)
    assert from_arrays == from_lists
