"""Synthetic nights: determinism, plausibility, prefix property and transforms."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.asleep.night import (
    APNEA,
    DEEP,
    HYPOPNEA,
    LIGHT,
    NO_DATA,
    NO_EVENT,
    REM,
    WAKE,
    Night,
    apply_missing,
    base_hypnogram,
    final_night,
    missing_mask,
    night_from_stages,
    osa_stages,
    realtime_night,
    two_stage,
    wake_tail_epochs,
)
from emulator.asleep.profiles import Profile, default_profile_for, params_for
from emulator.asleep.stats import compute_stat

EIGHT_HOURS = 960
SEEDS = range(40)
START = datetime(2025, 1, 15, 22, 0, 0, tzinfo=UTC)


def _night(seed: int, profile: Profile = Profile.NORMAL, n: int = EIGHT_HOURS) -> Night:
    return final_night(seed, f"2025011522000{seed % 10}_k{seed}", profile, n)


# --------------------------------------------------------------------------- determinism


def test_same_inputs_give_identical_arrays() -> None:
    first = final_night(7, "20250115025029_fvivn", Profile.NORMAL, EIGHT_HOURS)
    second = final_night(7, "20250115025029_fvivn", Profile.NORMAL, EIGHT_HOURS)
    assert first == second
    assert first.sleep is not second.sleep


def test_different_session_keys_and_seeds_differ() -> None:
    base = final_night(7, "a", Profile.NORMAL, EIGHT_HOURS)
    assert not np.array_equal(base.sleep, final_night(7, "b", Profile.NORMAL, EIGHT_HOURS).sleep)
    assert not np.array_equal(base.sleep, final_night(8, "a", Profile.NORMAL, EIGHT_HOURS).sleep)


def test_generation_is_pinned_across_runs_and_machines() -> None:
    # A fresh process (random PYTHONHASHSEED) must reproduce these exact bytes;
    # a change here means every stored demo night changes, so it must be deliberate.
    night = final_night(42, "20250115025029_fvivn", Profile.NORMAL, EIGHT_HOURS)
    digest = hashlib.sha256(
        night.sleep.tobytes() + night.breath.tobytes() + night.snoring.tobytes()
    ).hexdigest()
    assert night.sleep[:67].tolist() == [WAKE] * 65 + [LIGHT] * 2
    assert digest == "3ba0baaaf507707ce83eff42a29f792a4859ae6b3be515ea400a58ce76668d4a"


def test_default_profile_is_deterministic_and_mostly_healthy() -> None:
    picks = [default_profile_for(0, f"G-user-{i}") for i in range(400)]
    assert picks == [default_profile_for(0, f"G-user-{i}") for i in range(400)]
    assert set(picks) == {Profile.NORMAL, Profile.GOOD_SLEEPER}
    assert 0.2 < picks.count(Profile.GOOD_SLEEPER) / len(picks) < 0.4


# --------------------------------------------------------------------------- shape


@pytest.mark.parametrize("profile", list(Profile))
def test_arrays_are_int8_equal_length_with_documented_codes(profile: Profile) -> None:
    night = _night(3, profile)
    assert len(night) == EIGHT_HOURS
    for array in (night.sleep, night.breath, night.snoring):
        assert array.dtype == np.int8
        assert len(array) == EIGHT_HOURS
        assert not array.flags.writeable
    assert set(np.unique(night.sleep).tolist()) <= {WAKE, LIGHT, DEEP, REM}
    assert set(np.unique(night.breath).tolist()) <= {0, 1}
    assert set(np.unique(night.snoring).tolist()) <= {0, 1}


@pytest.mark.parametrize("profile", list(Profile))
def test_breathing_and_snoring_only_during_sleep(profile: Profile) -> None:
    for seed in range(10):
        night = _night(seed, profile)
        awake = night.sleep == WAKE
        assert not night.breath[awake].any()
        assert not night.snoring[awake].any()


@pytest.mark.parametrize("n", [0, 1, 5])
def test_tiny_nights(n: int) -> None:
    night = final_night(1, "k", Profile.NORMAL, n)
    assert len(night) == n
    assert not night.sleep.any()  # onset latency and wake tail cover it all


def test_negative_length_is_rejected() -> None:
    with pytest.raises(ValueError, match="n_epochs"):
        base_hypnogram(1, "k", Profile.NORMAL, -1)


# --------------------------------------------------------------------------- plausibility


def _share(stages: np.ndarray, stage: int) -> float:
    asleep = stages[stages > WAKE]
    return float(np.count_nonzero(asleep == stage)) / max(len(asleep), 1)


@pytest.mark.parametrize("seed", SEEDS)
def test_normal_night_shape(seed: int) -> None:
    # Per-night invariants; the architecture's statistics are measured over 200 nights
    # in test_night_architecture.py.
    night = _night(seed)
    sleep = night.sleep
    stat = compute_stat(
        sleep,
        night.breath,
        night.snoring,
        START,
        START + timedelta(hours=8),
        four_stage=True,
        breathing=True,
    )
    assert stat is not None
    assert sleep[0] == WAKE
    assert stat.sleep_latency is not None
    assert stat.sleep_latency > 0
    assert stat.deep_latency is not None  # every normal night reaches deep sleep
    assert stat.rem_latency is not None
    assert stat.rem_latency > stat.deep_latency  # NREM first
    assert stat.sleep_cycle_count is not None
    assert 2 <= stat.sleep_cycle_count <= 6
    assert stat.waso_count is not None
    assert stat.waso_count >= 1  # brief awakenings
    tail = wake_tail_epochs(seed, f"2025011522000{seed % 10}_k{seed}", Profile.NORMAL)
    assert tail >= params_for(Profile.NORMAL).wake_tail_min_epochs
    assert not sleep[-tail:].any()  # wake tail before the end
    assert 0.7 < stat.sleep_efficiency < 1.0


def test_normal_nights_are_efficient() -> None:
    efficiencies = []
    for seed in range(100):
        night = _night(seed)
        efficiencies.append(float(np.count_nonzero(night.sleep)) / EIGHT_HOURS)
    assert 0.85 <= float(np.median(efficiencies)) <= 0.93
    assert np.mean([0.8 <= e < 0.98 for e in efficiencies]) >= 0.9


def test_age_is_an_input() -> None:
    young = final_night(3, "k", Profile.NORMAL, EIGHT_HOURS, age=25.0)
    old = final_night(3, "k", Profile.NORMAL, EIGHT_HOURS, age=70.0)
    assert young != old
    assert young == final_night(3, "k", Profile.NORMAL, EIGHT_HOURS, age=25.0)
    assert realtime_night(3, "k", Profile.NORMAL, 300, age=70.0) == old.prefix(300)


def test_never_slept_is_all_wake() -> None:
    for seed in range(10):
        night = _night(seed, Profile.NEVER_SLEPT)
        assert not night.sleep.any()
        assert not night.breath.any()
        assert not night.snoring.any()


def test_insomnia_sleeps_later_and_less_than_good_sleeper() -> None:
    def asleep_epochs(profile: Profile) -> list[int]:
        return [int(np.count_nonzero(_night(s, profile).sleep)) for s in range(20)]

    def onset(profile: Profile) -> list[int]:
        return [int(np.flatnonzero(_night(s, profile).sleep)[0]) for s in range(20)]

    assert max(asleep_epochs(Profile.INSOMNIA)) < min(asleep_epochs(Profile.GOOD_SLEEPER))
    assert np.median(onset(Profile.INSOMNIA)) > 3 * np.median(onset(Profile.GOOD_SLEEPER))


def test_snoring_mostly_in_light_and_deep() -> None:
    stages = np.concatenate([_night(s, Profile.HEAVY_SNORER).sleep for s in range(10)])
    snoring = np.concatenate([_night(s, Profile.HEAVY_SNORER).snoring for s in range(10)])
    snoring_stages = stages[snoring == 1]
    assert np.isin(snoring_stages, [LIGHT, DEEP]).mean() > 0.85


def test_unstable_breathing_most_in_rem_least_in_deep() -> None:
    # REM atonia: the airway collapses most easily in REM; least in N3 (Bonsignore 2024).
    nights = [_night(s, Profile.SEVERE_UNSTABLE_BREATHING) for s in range(10)]
    stages = np.concatenate([n.sleep for n in nights])
    breath = np.concatenate([n.breath for n in nights])

    def rate(stage: int) -> float:
        return float(breath[stages == stage].mean())

    assert rate(DEEP) < rate(LIGHT) < rate(REM)


# --------------------------------------------------------------------------- prefix property


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(min_value=-(2**40), max_value=2**40),
    key=st.text(min_size=1, max_size=24),
    profile=st.sampled_from(list(Profile)),
    total=st.integers(min_value=1, max_value=3000),
    data=st.data(),
)
def test_realtime_views_are_prefixes_of_the_final_night(
    seed: int, key: str, profile: Profile, total: int, data: st.DataObject
) -> None:
    analysed = data.draw(st.integers(min_value=0, max_value=total), label="analysed")
    realtime = realtime_night(seed, key, profile, analysed)
    final = final_night(seed, key, profile, total)
    tail = min(wake_tail_epochs(seed, key, profile), total)
    agree = min(analysed, total - tail)
    assert realtime.prefix(agree) == final.prefix(agree)
    # The real-time view itself never depends on how far the night will run.
    assert realtime == base_hypnogram(seed, key, profile, total).prefix(analysed)
    # The final night ends in wake, stable breathing and no snoring.
    assert not final.sleep[total - tail :].any()
    assert not final.breath[total - tail :].any()
    assert not final.snoring[total - tail :].any()


# --------------------------------------------------------------------------- transforms


def test_apply_missing_marks_all_three_arrays() -> None:
    night = _night(5)
    masked = apply_missing(night, [0, 10, 11, 959, 960, -3])
    for array in (masked.sleep, masked.breath, masked.snoring):
        assert np.flatnonzero(array == NO_DATA).tolist() == [0, 10, 11, 959]
    untouched = np.ones(EIGHT_HOURS, dtype=bool)
    untouched[[0, 10, 11, 959]] = False
    assert np.array_equal(masked.sleep[untouched], night.sleep[untouched])
    assert apply_missing(night, missing_mask(EIGHT_HOURS, [0, 10, 11, 959])) == masked


def test_apply_missing_rejects_a_mask_of_the_wrong_length() -> None:
    with pytest.raises(ValueError, match="length"):
        apply_missing(_night(5), np.zeros(10, dtype=bool))


def test_two_stage_merges_light_deep_rem() -> None:
    night = night_from_stages([-1, 0, 1, 2, 3, 0], [-1, 0, 1, 1, 0, 0], [-1, 0, 0, 1, 1, 0])
    merged = two_stage(night)
    assert merged.sleep.tolist() == [-1, 0, 1, 1, 1, 0]
    assert merged.breath.tolist() == night.breath.tolist()
    assert merged.snoring.tolist() == night.snoring.tolist()


def test_osa_stages_from_breath_stages() -> None:
    breath = np.array([-1, 0, 1, 0, 1, 1, 0, 1], dtype=np.int8)
    expected = [NO_DATA, NO_EVENT, HYPOPNEA, NO_EVENT, APNEA, APNEA, NO_EVENT, HYPOPNEA]
    assert osa_stages(breath).tolist() == expected
    assert osa_stages(np.array([], dtype=np.int8)).tolist() == []


def test_night_from_stages_defaults_and_validation() -> None:
    night = night_from_stages([0, 1, -1, 3])
    assert night.breath.tolist() == [0, 0, -1, 0]
    assert night.snoring.tolist() == [0, 0, -1, 0]
    assert night.to_lists() == ([0, 1, -1, 3], [0, 0, -1, 0], [0, 0, -1, 0])
    with pytest.raises(ValueError, match="sleep"):
        night_from_stages([0, 4])
    with pytest.raises(ValueError, match="breath"):
        night_from_stages([0, 1], [0, 2])
    with pytest.raises(ValueError, match="same length"):
        night_from_stages([0, 1], [0])


def test_night_is_not_hashable_and_compares_by_content() -> None:
    night = night_from_stages([0, 1])
    assert night == night_from_stages([0, 1])
    assert night != night_from_stages([0, 2])
    assert night != "not a night"
    with pytest.raises(TypeError):
        hash(night)
