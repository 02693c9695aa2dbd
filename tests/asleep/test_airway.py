"""Breathing and snoring drawn together: correlated with each other, severity and stage."""

from __future__ import annotations

from functools import cache
from statistics import median

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.asleep.airway import breath_and_snoring, recurring_events
from emulator.asleep.draws import Uniforms, rng
from emulator.asleep.night import DEEP, LIGHT, REM, WAKE, Night, final_night
from emulator.asleep.profiles import Profile, params_for
from tests.support.hypnograms import correlation

EIGHT_HOURS = 960
APNEA = (
    Profile.MILD_UNSTABLE_BREATHING,
    Profile.MODERATE_UNSTABLE_BREATHING,
    Profile.SEVERE_UNSTABLE_BREATHING,
)
BY_SEVERITY = (Profile.NORMAL, *APNEA)


@cache
def _nights(profile: Profile, n: int = 60) -> tuple[Night, ...]:
    return tuple(final_night(0, f"20250115220000_a{i:04d}", profile, EIGHT_HOURS) for i in range(n))


def _asleep(nights: tuple[Night, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stages, breath and snoring of every sleep epoch, pooled."""
    stages = np.concatenate([n.sleep for n in nights])
    asleep = stages > WAKE
    breath = np.concatenate([n.breath for n in nights])
    snoring = np.concatenate([n.snoring for n in nights])
    return stages[asleep], breath[asleep], snoring[asleep]


@pytest.mark.parametrize("profile", APNEA)
def test_unstable_breathing_and_snoring_are_correlated(profile: Profile) -> None:
    nights = _nights(profile, 200)
    per_night = [correlation(n.breath[n.sleep > WAKE], n.snoring[n.sleep > WAKE]) for n in nights]
    _, breath, snoring = _asleep(nights)
    pooled = correlation(breath, snoring)
    print(
        f"\n[airway] {profile.value}: epoch-level correlation of unstable breathing and "
        f"snoring over sleep epochs: pooled {pooled:.3f}, per-night median "
        f"{median(per_night):.3f}, lowest {min(per_night):.3f} (200 nights)"
    )
    assert pooled >= 0.3
    assert median(per_night) >= 0.3


def test_severity_raises_events_and_snoring_together() -> None:
    rates = []
    for profile in BY_SEVERITY:
        _, breath, snoring = _asleep(_nights(profile))
        rates.append((float(breath.mean()), float(snoring.mean())))
    print(
        "\n[airway] unstable / snoring share of sleep epochs by severity: "
        + ", ".join(
            f"{p.value} {u:.3f}/{s:.3f}" for p, (u, s) in zip(BY_SEVERITY, rates, strict=True)
        )
    )
    unstable, snores = zip(*rates, strict=True)
    assert list(unstable) == sorted(unstable)
    assert list(snores) == sorted(snores)


@pytest.mark.parametrize("profile", [*BY_SEVERITY, Profile.HEAVY_SNORER])
def test_snoring_mostly_in_light_and_deep_instability_mostly_in_rem(profile: Profile) -> None:
    stages, breath, snoring = _asleep(_nights(profile))

    def rate(values: np.ndarray, stage: int) -> float:
        return float(values[stages == stage].mean())

    print(
        f"\n[airway] {profile.value}: snoring light/deep/REM "
        f"{rate(snoring, LIGHT):.3f}/{rate(snoring, DEEP):.3f}/{rate(snoring, REM):.3f}, "
        f"unstable {rate(breath, LIGHT):.3f}/{rate(breath, DEEP):.3f}/{rate(breath, REM):.3f}"
    )
    assert rate(snoring, REM) < min(rate(snoring, LIGHT), rate(snoring, DEEP))
    assert rate(breath, DEEP) < rate(breath, LIGHT) < rate(breath, REM)


def test_heavy_snorer_snores_without_apnea() -> None:
    _, breath, snoring = _asleep(_nights(Profile.HEAVY_SNORER))
    assert snoring.mean() > 0.3
    assert breath.mean() < 5 / 120  # under 5 unstable epochs per hour of sleep


@given(
    stages=st.lists(st.sampled_from([WAKE, LIGHT, DEEP, REM]), max_size=300),
    profile=st.sampled_from(list(Profile)),
)
@settings(max_examples=80, deadline=None)
def test_wake_neither_snores_nor_breathes_unstably(stages: list[int], profile: Profile) -> None:
    array = np.array(stages, dtype=np.int8)
    breath, snoring = breath_and_snoring(
        array,
        params_for(profile).airway,
        Uniforms(rng(1, "k", "episodes")),
        rng(1, "k", "epochs").random((len(array), 2)),
    )
    awake = array == WAKE
    assert not breath[awake].any()
    assert not snoring[awake].any()
    assert breath.dtype == snoring.dtype == np.int8


@given(
    rates=st.lists(st.floats(min_value=0.0, max_value=1.0), max_size=200),
    phase=st.floats(min_value=0.0, max_value=0.999),
    cut=st.integers(min_value=0, max_value=200),
)
def test_recurring_events_track_their_rate_and_are_causal(
    rates: list[float], phase: float, cut: int
) -> None:
    rate = np.array(rates)
    jitter = np.full(len(rate), 0.5)  # no jitter: the count is pinned to the rate's sum
    events = recurring_events(rate, jitter, phase)
    assert abs(int(events.sum()) - float(rate.sum())) <= 1.0
    assert np.array_equal(recurring_events(rate[:cut], jitter[:cut], phase), events[:cut])
