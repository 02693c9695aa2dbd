"""Per-user sleeper profiles: the knobs of the synthetic-night generator.

This module owns the closed set of profiles a user can be given (through the
control API or by default) and, for each, a frozen parameter set that
``emulator.asleep.hypnogram`` (sleep stages) and ``emulator.asleep.airway``
(breathing and snoring) turn into a night.  Nothing here is documented by
Asleep: every number is INFERRED, tuned so that the nights reproduce the
published figures of ``emulator.asleep.architecture`` (measured by
tests/asleep/test_night_architecture.py) and so that the statistics of
``emulator.asleep.stats`` land where the profile name promises (AASM AHI bands
for the breathing profiles, checked by tests/asleep/test_stats.py).

Units: lengths in 30-second epochs (asleep-api.md §2.2) unless the name says
minutes; rates are per-bout or per-epoch probabilities.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from enum import StrEnum, auto
from types import MappingProxyType
from typing import Final


class Profile(StrEnum):
    """The profiles a user can be assigned; the value is the wire/control name."""

    NORMAL = auto()
    GOOD_SLEEPER = auto()
    INSOMNIA = auto()
    NEVER_SLEPT = auto()
    MILD_UNSTABLE_BREATHING = auto()
    MODERATE_UNSTABLE_BREATHING = auto()
    SEVERE_UNSTABLE_BREATHING = auto()
    HEAVY_SNORER = auto()


@dataclass(frozen=True, slots=True)
class Airway:
    """Snoring and breathing stability, drawn together (``emulator.asleep.airway``).

    Both come from one process: *airway episodes* (stretches of flow limitation,
    e.g. a supine spell) alternate with open-airway gaps.  Inside an episode the
    sleeper snores and has unstable breathing; an unstable epoch snores more
    often than a stable one (the snore that ends an obstructive event).  The
    probabilities below are for light sleep; ``emulator.asleep.airway`` scales
    them by stage (snoring mostly in N2/N3, instability mostly in REM).
    """

    episode_minutes: float
    """Mean length of an airway episode."""
    gap_minutes: float
    """Mean open-airway time between episodes."""
    unstable: float
    """P(unstable breathing) of a light-sleep epoch inside an episode."""
    snoring: float
    """P(snoring) of a stable light-sleep epoch inside an episode."""
    snoring_when_unstable: float
    """P(snoring) of an unstable light-sleep epoch."""
    background_snoring: float
    """P(snoring) of a light-sleep epoch outside episodes."""
    night_spread: float
    """Relative half-width of the per-night severity factor (night-to-night variability)."""


@dataclass(frozen=True, slots=True)
class ProfileParams:
    """Frozen generator parameters of one profile."""

    sleeps: bool
    """False only for ``never_slept``: the whole night is wake."""
    age_range: tuple[float, float]
    """The sleeper's age is drawn per night in this range (the user's is unknown)."""

    onset_min_epochs: int
    """Shortest sleep-onset latency."""
    onset_mean_extra_epochs: float
    """Mean of the exponential part added to ``onset_min_epochs``."""
    onset_max_epochs: int
    """Onset latency is clipped here."""
    false_start_prob: float
    """Chance of a brief doze that falls back to wake before sleep takes hold."""

    sleep_need_epochs: int
    """Mean time from sleep onset to the natural morning awakening (age 35)."""
    sleep_need_jitter: float
    """Relative half-width of the uniform jitter on ``sleep_need_epochs``."""

    first_nrem_minutes: float
    """Mean NREM period before the first REM episode (the REM latency)."""
    nrem_minutes: float
    """Mean of the later NREM periods."""
    skip_first_rem_prob: float
    """Chance that the first REM episode is skipped (REM latency of two periods)."""

    deep_weight: float
    """Scales the N3 (deep) propensity; it decays across the night."""
    rem_weight: float
    """Scales the REM episode lengths; they grow across the night."""

    awakenings_per_hour: float
    """Rate of awakenings out of light sleep (per hour of light sleep, mid-night)."""
    wake_bout_minutes: float
    """Mean length of an awakening (heavy-tailed)."""
    wake_bout_max_minutes: float
    """Awakenings are clipped here."""
    cycle_end_wake_prob: float
    """Chance of an awakening right after a REM episode."""

    airway: Airway

    wake_tail_min_epochs: int
    wake_tail_max_epochs: int
    """The final result ends with this many wake epochs (drawn per session)."""


_QUIET_AIRWAY: Final = Airway(
    episode_minutes=4.0,
    gap_minutes=40.0,
    unstable=0.08,
    snoring=0.55,
    snoring_when_unstable=0.7,
    background_snoring=0.01,
    night_spread=0.3,
)

_NORMAL: Final = ProfileParams(
    sleeps=True,
    age_range=(25.0, 60.0),
    onset_min_epochs=12,
    onset_mean_extra_epochs=18.0,
    onset_max_epochs=90,
    false_start_prob=0.3,
    sleep_need_epochs=900,
    sleep_need_jitter=0.08,
    first_nrem_minutes=80.0,
    nrem_minutes=72.0,
    skip_first_rem_prob=0.1,
    deep_weight=1.0,
    rem_weight=1.0,
    awakenings_per_hour=3.5,
    wake_bout_minutes=1.5,
    wake_bout_max_minutes=20.0,
    cycle_end_wake_prob=0.35,
    airway=_QUIET_AIRWAY,
    wake_tail_min_epochs=4,
    wake_tail_max_epochs=12,
)


def _breathing(
    *, age: tuple[float, float], deep: float, arousal: float, airway: Airway
) -> ProfileParams:
    """A normal sleeper with obstructive breathing: older, less N3 and REM, fragmented.

    Severe OSA fragments sleep (faster transitions, extra paths: Bianchi et al. 2012).
    """
    return replace(
        _NORMAL,
        age_range=age,
        deep_weight=deep,
        rem_weight=0.9,
        awakenings_per_hour=arousal,
        cycle_end_wake_prob=0.45,
        airway=airway,
    )


# INFERRED targets, checked by tests/asleep/test_night*.py and test_stats.py:
#   normal / good_sleeper / heavy_snorer: breathing_index < 5 (STABLE_BREATH)
#   mild ~9/h, moderate ~21/h, severe ~45/h (AASM AHI bands 5/15/30)
#   snoring_ratio: normal ~5 %, heavy_snorer ~0.3-0.5, growing with apnea severity
_PARAMS: Final = MappingProxyType(
    {
        Profile.NORMAL: _NORMAL,
        Profile.GOOD_SLEEPER: replace(
            _NORMAL,
            age_range=(20.0, 40.0),
            onset_min_epochs=4,
            onset_mean_extra_epochs=8.0,
            onset_max_epochs=40,
            false_start_prob=0.15,
            sleep_need_epochs=950,
            sleep_need_jitter=0.06,
            first_nrem_minutes=85.0,
            nrem_minutes=75.0,
            skip_first_rem_prob=0.07,
            deep_weight=1.15,
            rem_weight=1.05,
            awakenings_per_hour=2.0,
            wake_bout_minutes=1.5,
            wake_bout_max_minutes=10.0,
            cycle_end_wake_prob=0.2,
            airway=replace(_QUIET_AIRWAY, gap_minutes=50.0, unstable=0.06),
            wake_tail_min_epochs=2,
            wake_tail_max_epochs=8,
        ),
        Profile.INSOMNIA: replace(
            _NORMAL,
            age_range=(30.0, 65.0),
            onset_min_epochs=40,
            onset_mean_extra_epochs=50.0,
            onset_max_epochs=240,
            false_start_prob=0.7,
            sleep_need_epochs=700,
            sleep_need_jitter=0.15,
            nrem_minutes=70.0,
            skip_first_rem_prob=0.15,
            deep_weight=0.6,
            rem_weight=0.85,
            awakenings_per_hour=3.5,
            wake_bout_minutes=6.0,
            wake_bout_max_minutes=45.0,
            cycle_end_wake_prob=0.7,
            wake_tail_min_epochs=10,
            wake_tail_max_epochs=40,
        ),
        Profile.NEVER_SLEPT: replace(_NORMAL, sleeps=False),
        Profile.MILD_UNSTABLE_BREATHING: _breathing(
            age=(35.0, 65.0),
            deep=0.85,
            arousal=4.5,
            airway=Airway(6.0, 10.0, 0.19, 0.4, 0.9, 0.03, 0.1),
        ),
        Profile.MODERATE_UNSTABLE_BREATHING: _breathing(
            age=(35.0, 65.0),
            deep=0.7,
            arousal=5.5,
            airway=Airway(7.0, 6.5, 0.32, 0.45, 0.9, 0.04, 0.1),
        ),
        Profile.SEVERE_UNSTABLE_BREATHING: _breathing(
            age=(40.0, 70.0),
            deep=0.55,
            arousal=7.0,
            airway=Airway(10.0, 6.0, 0.62, 0.45, 0.9, 0.05, 0.1),
        ),
        Profile.HEAVY_SNORER: replace(
            _NORMAL,
            airway=Airway(25.0, 15.0, 0.03, 0.75, 0.85, 0.08, 0.2),
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
