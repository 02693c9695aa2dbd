"""Per-user sleeper profiles: the knobs of the synthetic-night generator.

This module owns the closed set of profiles a user can be given (through the
control API or by default) and, for each, a frozen parameter set that
``emulator.asleep.night`` turns into a hypnogram.  Nothing here is documented
by Asleep: every number is an INFERRED, textbook-plausible choice (adult sleep
architecture, AASM AHI bands for the breathing profiles), tuned so that the
statistics of ``emulator.asleep.stats`` land where the profile name promises.

Units: every length is in 30-second epochs (asleep-api.md §2.2) and every rate
is a per-epoch or per-block probability.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Final


class Profile(StrEnum):
    """The profiles a user can be assigned; the value is the wire/control name."""

    NORMAL = "normal"
    GOOD_SLEEPER = "good_sleeper"
    INSOMNIA = "insomnia"
    NEVER_SLEPT = "never_slept"
    MILD_UNSTABLE_BREATHING = "mild_unstable_breathing"
    MODERATE_UNSTABLE_BREATHING = "moderate_unstable_breathing"
    SEVERE_UNSTABLE_BREATHING = "severe_unstable_breathing"
    HEAVY_SNORER = "heavy_snorer"


@dataclass(frozen=True, slots=True)
class StageProbabilities:
    """Per-epoch probability of an event inside an active episode, by sleep stage.

    Wake (and missing) epochs never carry snoring or unstable breathing, so there
    is no wake entry.
    """

    light: float
    deep: float
    rem: float


@dataclass(frozen=True, slots=True)
class ProfileParams:
    """Frozen generator parameters of one profile (all lengths in epochs)."""

    sleeps: bool
    """False only for ``never_slept``: the whole night is wake."""

    onset_min_epochs: int
    """Shortest sleep-onset latency."""
    onset_mean_extra_epochs: float
    """Mean of the exponential part added to ``onset_min_epochs``."""
    onset_max_epochs: int
    """Onset latency is clipped here."""

    sleep_need_epochs: int
    """Mean time from sleep onset to the natural morning awakening."""
    sleep_need_jitter: float
    """Relative half-width of the uniform jitter on ``sleep_need_epochs``."""

    cycle_epochs: int
    """Mean NREM/REM cycle length (~90 min = 180 epochs)."""
    cycle_jitter: float
    """Relative half-width of the uniform jitter on each cycle's length."""

    deep_weight: float
    """Scales the deep (N3) share of each cycle; deep decays across the night."""
    rem_weight: float
    """Scales the REM share of each cycle; REM grows across the night."""

    awakening_rate: float
    """Per sleep-epoch probability that a brief awakening starts."""
    awakening_mean_epochs: float
    """Mean length of such an awakening."""
    cycle_end_wake_prob: float
    """Probability of a 1-4 epoch awakening right after a cycle's REM."""

    snoring_episode_rate: float
    """Probability that a 10-minute block is a snoring episode."""
    snoring: StageProbabilities
    """Per-epoch snoring probability inside an episode (mostly light/deep)."""

    breath_episode_rate: float
    """Probability that a 1-minute block is an unstable-breathing episode."""
    breath: StageProbabilities
    """Per-epoch instability probability inside an episode (rarer in deep/REM)."""

    wake_tail_min_epochs: int
    wake_tail_max_epochs: int
    """The final result ends with this many wake epochs (drawn per session)."""


_NORMAL: Final = ProfileParams(
    sleeps=True,
    onset_min_epochs=12,
    onset_mean_extra_epochs=18.0,
    onset_max_epochs=90,
    sleep_need_epochs=830,
    sleep_need_jitter=0.08,
    cycle_epochs=180,
    cycle_jitter=0.12,
    deep_weight=1.0,
    rem_weight=1.0,
    awakening_rate=0.006,
    awakening_mean_epochs=3.0,
    cycle_end_wake_prob=0.35,
    snoring_episode_rate=0.06,
    snoring=StageProbabilities(light=0.75, deep=0.85, rem=0.15),
    breath_episode_rate=0.03,
    breath=StageProbabilities(light=0.5, deep=0.25, rem=0.35),
    wake_tail_min_epochs=4,
    wake_tail_max_epochs=12,
)


def _breathing(episode_rate: float, awakening_rate: float) -> ProfileParams:
    """A normal sleeper whose breathing is unstable at ``episode_rate``.

    Unstable breathing fragments sleep, hence the higher awakening rate.
    """
    return replace(
        _NORMAL,
        breath_episode_rate=episode_rate,
        breath=StageProbabilities(light=0.85, deep=0.4, rem=0.6),
        awakening_rate=awakening_rate,
    )


# INFERRED targets, checked by tests/asleep/test_night.py and test_stats.py:
#   normal / good_sleeper: breathing_index < 5 (STABLE_BREATH), snoring ~5 %
#   mild ~10/h, moderate ~22/h, severe ~45/h (AASM AHI bands 5/15/30)
#   heavy_snorer: snoring_ratio ~0.3-0.5
_PARAMS: Final = MappingProxyType(
    {
        Profile.NORMAL: _NORMAL,
        Profile.GOOD_SLEEPER: ProfileParams(
            sleeps=True,
            onset_min_epochs=4,
            onset_mean_extra_epochs=8.0,
            onset_max_epochs=40,
            sleep_need_epochs=900,
            sleep_need_jitter=0.06,
            cycle_epochs=185,
            cycle_jitter=0.10,
            deep_weight=1.15,
            rem_weight=1.05,
            awakening_rate=0.003,
            awakening_mean_epochs=2.0,
            cycle_end_wake_prob=0.2,
            snoring_episode_rate=0.03,
            snoring=StageProbabilities(light=0.7, deep=0.8, rem=0.1),
            breath_episode_rate=0.015,
            breath=StageProbabilities(light=0.5, deep=0.2, rem=0.3),
            wake_tail_min_epochs=2,
            wake_tail_max_epochs=8,
        ),
        Profile.INSOMNIA: ProfileParams(
            sleeps=True,
            onset_min_epochs=40,
            onset_mean_extra_epochs=50.0,
            onset_max_epochs=240,
            sleep_need_epochs=660,
            sleep_need_jitter=0.15,
            cycle_epochs=170,
            cycle_jitter=0.15,
            deep_weight=0.6,
            rem_weight=0.85,
            awakening_rate=0.012,
            awakening_mean_epochs=12.0,
            cycle_end_wake_prob=0.7,
            snoring_episode_rate=0.04,
            snoring=StageProbabilities(light=0.7, deep=0.8, rem=0.1),
            breath_episode_rate=0.03,
            breath=StageProbabilities(light=0.5, deep=0.25, rem=0.35),
            wake_tail_min_epochs=10,
            wake_tail_max_epochs=40,
        ),
        Profile.NEVER_SLEPT: replace(_NORMAL, sleeps=False),
        Profile.MILD_UNSTABLE_BREATHING: _breathing(0.11, 0.008),
        Profile.MODERATE_UNSTABLE_BREATHING: _breathing(0.245, 0.010),
        Profile.SEVERE_UNSTABLE_BREATHING: _breathing(0.57, 0.014),
        Profile.HEAVY_SNORER: replace(
            _NORMAL,
            snoring_episode_rate=0.5,
            snoring=StageProbabilities(light=0.9, deep=0.95, rem=0.3),
            breath_episode_rate=0.05,
        ),
    }
)


def params_for(profile: Profile) -> ProfileParams:
    """The frozen generator parameters of ``profile``."""
    return _PARAMS[profile]


DEFAULT_GOOD_SLEEPER_SHARE: Final = 0.3
"""Share of users that get ``good_sleeper`` by default (the rest get ``normal``)."""


def default_profile_for(seed: int, user_id: str) -> Profile:
    """The profile a user gets when none was set through the control API.

    Decision (the spec is silent): 70 % ``normal``, 30 % ``good_sleeper``, picked
    by a stable hash of ``(seed, user_id)``.  Demo data then varies between users
    while every default night stays a healthy, fully analysable one; pathological
    profiles (insomnia, unstable breathing, never slept...) are only ever chosen
    explicitly, so contract tests are not surprised by them.
    """
    digest = hashlib.blake2b(
        f"{seed}\x00{user_id}".encode(), digest_size=8, person=b"asleep-profile"
    ).digest()
    share = int.from_bytes(digest, "big") / 2.0**64
    return Profile.GOOD_SLEEPER if share < DEFAULT_GOOD_SLEEPER_SHARE else Profile.NORMAL
