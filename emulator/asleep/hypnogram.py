"""Sleep stages of a synthetic night: a time-varying semi-Markov generator.

This module owns turning a profile (``emulator.asleep.profiles``) and a stream
of uniform doubles (``emulator.asleep.draws``) into one night's ``sleep``
stages (0 wake, 1 light, 2 deep, 3 REM; asleep-api.md §2.3).  The model follows
the published architecture in ``emulator.asleep.architecture``:

* **Between nights** (``Traits``, drawn once per night): the sleeper's age, the
  sleep-onset latency and the sleep need, a tempo for the ultradian cycle, the
  N3 propensity, the REM episode lengths, the fragmentation and whether the
  first REM episode is skipped.  Age moves them along the published adult
  trends (Ohayon et al. 2004 directions; Walsleben et al. 2004 and Floyd et
  al. 2007 slopes); rates vary by subject and night (Kemp & Kamphuisen 1986).
* **Within a night**: NREM-REM cycles whose NREM periods are Weibull draws
  (about 70-100 min for the first, shorter later; Carskadon & Dement 2005),
  each a semi-Markov alternation of light and deep bouts with Weibull
  durations (Wang et al. 2013).  The chance of entering deep sleep and the
  deep bout length follow a homeostatic pressure that decays across the night,
  so the 2 -> 3 transition changes hour by hour (Yang & Hursch 1973) and N3
  is often absent from late cycles.  REM episodes lengthen across the night
  and are broken by brief light or wake interruptions (two REM bout scales,
  Bianchi et al. 2012).  Awakenings are heavy-tailed (Lo et al. 2002), more
  frequent later in the night, after REM, and with age.

Every draw comes from one sequential stream and generation only ever stops
early (once ``n_epochs`` are covered), so epoch ``i`` never depends on the
length asked for: the prefix property ``emulator.asleep.night`` relies on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from emulator.asleep.architecture import (
    REM_PER_DECADE,
    REM_SHARE,
    SWS_PER_DECADE,
    TST_PER_DECADE,
)
from emulator.asleep.draws import Uniforms
from emulator.asleep.profiles import ProfileParams
from emulator.core import lazy

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
else:
    np = lazy.module("numpy")

WAKE: Final = 0
LIGHT: Final = 1
DEEP: Final = 2
REM: Final = 3
EPOCHS_PER_MINUTE: Final = 2

REFERENCE_AGE: Final = 35.0
"""The age the profiles' parameters describe; other ages move along the trends."""
_REFERENCE_DEEP_SHARE: Final = 0.17
_REFERENCE_REM_SHARE: Final = 0.5 * (REM_SHARE.low + REM_SHARE.high)
"""N3 and REM shares of a reference night, to turn per-decade slopes into factors."""
_REM_AGE_GAIN: Final = 3.2

# INFERRED model constants, tuned so that generated nights reproduce the published
# figures (tests/asleep/test_night_architecture.py measures them).
PRESSURE_DECAY_MINUTES: Final = 120.0
"""Time constant of the N3 propensity's decline across the night."""
REM_EPISODE_MINUTES: Final = (11.0, 22.0, 28.0, 32.0, 36.0, 38.0)
"""Mean REM episode length of the 1st, 2nd... cycle (the last value repeats)."""
NREM_TREND: Final = (1.0, 1.04, 0.97, 0.8, 0.75)
"""NREM period lengths relative to ``nrem_minutes`` for cycles 2, 3...: the middle
cycles longest (Feinberg & Floyd 1979); the last value repeats."""
NREM_SHAPE: Final = 4.0
"""Weibull shape of NREM period lengths (coefficient of variation ~0.28)."""
FIRST_NREM_SHAPE: Final = 5.0
"""The first NREM period (the REM latency) varies a little less (CV ~0.23)."""


@dataclass(frozen=True, slots=True)
class Traits:
    """What varies from night to night, drawn once before the first epoch."""

    age: float
    onset: int
    """Epochs of wake before sleep onset."""
    need: float
    """Epochs from sleep onset to the natural awakening."""
    tempo: float
    """Multiplies the NREM period lengths."""
    deep: float
    """Scales the N3 propensity."""
    rem: float
    """Scales the REM episode lengths."""
    arousal: float
    """Awakenings per light-sleep epoch (before the trend across the night)."""
    skip_first_rem: bool
    false_start: bool


def draw_traits(params: ProfileParams, u: Uniforms, age: float | None = None) -> Traits:
    """This night's traits; ``age`` overrides the profile's age range."""
    low, high = params.age_range
    drawn_age = low + (high - low) * u()
    age = drawn_age if age is None else age
    decades = (age - REFERENCE_AGE) / 10.0
    onset_extra = -math.log1p(-u()) * params.onset_mean_extra_epochs
    onset = min(params.onset_max_epochs, params.onset_min_epochs + int(onset_extra))
    need = params.sleep_need_epochs * (1.0 + params.sleep_need_jitter * (2.0 * u() - 1.0))
    need += TST_PER_DECADE.low * EPOCHS_PER_MINUTE * decades
    deep_age = 1.0 + SWS_PER_DECADE.low * decades / _REFERENCE_DEEP_SHARE
    # INFERRED gains, tuned so the nights' REM share falls by REM_PER_DECADE (Floyd et
    # al. 2007) although less N3 and shorter nights leave REM a larger part of them, and
    # so that WASO grows with age (Ohayon et al. 2004) with efficiency falling at about
    # EFFICIENCY_PER_DECADE (Walsleben et al. 2004).
    rem_age = 1.0 + _REM_AGE_GAIN * REM_PER_DECADE.low * decades / _REFERENCE_REM_SHARE
    arousal_age = max(0.3, 1.0 + 0.3 * decades)
    return Traits(
        age=age,
        onset=onset,
        need=need,
        tempo=math.exp(0.08 * u.normal()),
        deep=params.deep_weight * max(0.15, deep_age) * math.exp(0.22 * u.normal()),
        rem=params.rem_weight * rem_age * math.exp(0.1 * u.normal()),
        arousal=params.awakenings_per_hour
        / (60.0 * EPOCHS_PER_MINUTE)
        * arousal_age
        * math.exp(0.3 * u.normal()),
        skip_first_rem=u.chance(params.skip_first_rem_prob),
        false_start=u.chance(params.false_start_prob),
    )


class _Builder:
    """The night as runs of (stage, length), built front to back."""

    __slots__ = ("covered", "lengths", "limit", "onset", "params", "traits", "u", "values")

    def __init__(self, params: ProfileParams, traits: Traits, u: Uniforms, limit: int) -> None:
        self.params = params
        self.traits = traits
        self.u = u
        self.limit = limit
        self.values: list[int] = []
        self.lengths: list[int] = []
        self.covered = 0
        self.onset = traits.onset  # moved past a false start once it is known

    @property
    def full(self) -> bool:
        return self.covered >= self.limit

    @property
    def minutes_asleep(self) -> float:
        """Minutes since sleep onset (wake after onset included)."""
        return (self.covered - self.onset) / EPOCHS_PER_MINUTE

    def emit(self, stage: int, length: int) -> None:
        if length > 0:
            self.values.append(stage)
            self.lengths.append(length)
            self.covered += length

    def wake_bout(self) -> None:
        p = self.params
        self.emit(
            WAKE,
            self.u.epochs(
                p.wake_bout_minutes * EPOCHS_PER_MINUTE,
                0.7,
                high=round(p.wake_bout_max_minutes * EPOCHS_PER_MINUTE),
            ),
        )

    def light_bout(self, length: int) -> None:
        """Light sleep broken by awakenings, which come more often as the night goes on.

        Sleep bouts end at a constant hazard (exponential durations; Lo et al. 2002),
        drawn here as geometric gaps between awakenings.
        """
        while length > 0:
            trend = 0.7 + 0.6 * min(self.minutes_asleep / 480.0, 1.0)
            hazard = min(self.traits.arousal * trend, 0.5)
            until = 1 + int(math.log1p(-self.u()) / math.log1p(-hazard))
            if until >= length:
                self.emit(LIGHT, length)
                return
            self.emit(LIGHT, until)
            self.wake_bout()
            length -= until

    def pressure(self) -> float:
        """N3 propensity now: homeostatic, decaying across the night."""
        return self.traits.deep * math.exp(-self.minutes_asleep / PRESSURE_DECAY_MINUTES)

    def stages(self, n_epochs: int) -> npt.NDArray[np.int8]:
        """The first ``n_epochs`` epochs; wake after the natural awakening."""
        stages = np.repeat(np.array(self.values, dtype=np.int8), self.lengths)[:n_epochs]
        if len(stages) < n_epochs:
            stages = np.concatenate([stages, np.zeros(n_epochs - len(stages), dtype=np.int8)])
        return stages


def sleep_stages(
    params: ProfileParams, u: Uniforms, n_epochs: int, *, age: float | None = None
) -> npt.NDArray[np.int8]:
    """The night's sleep stages; epoch ``i`` never depends on ``n_epochs``."""
    if not params.sleeps:
        return np.zeros(n_epochs, dtype=np.int8)
    traits = draw_traits(params, u, age)
    night = _Builder(params, traits, u, n_epochs)
    night.emit(WAKE, traits.onset)
    if traits.false_start:  # a doze that falls back to wake (sleep-onset instability)
        night.emit(LIGHT, u.epochs(3.0, 1.5, high=8))
        night.emit(WAKE, u.epochs(6.0, 1.2, high=20))
    night.onset = night.covered
    cycle = 0
    while not night.full and night.covered - night.onset < traits.need:
        _cycle(night, cycle)
        cycle += 1
    return night.stages(n_epochs)


def _cycle(night: _Builder, cycle: int) -> None:
    """One NREM period, one REM episode, perhaps an awakening."""
    _nrem_period(night, _nrem_epochs(night, cycle), first=cycle == 0)
    if cycle == 0 and night.traits.skip_first_rem:
        # The first REM episode does not come: a second NREM period follows at once.
        _nrem_period(night, _nrem_epochs(night, 1), first=False)
    if night.full:
        return
    _rem_episode(night, cycle)
    if night.u.chance(night.params.cycle_end_wake_prob):
        night.wake_bout()


def _nrem_epochs(night: _Builder, cycle: int) -> int:
    p, traits = night.params, night.traits
    if cycle == 0:
        # REM latency shortens with age (Ohayon et al. 2004).
        mean = p.first_nrem_minutes * (1.0 - 0.03 * (traits.age - REFERENCE_AGE) / 10.0)
    else:
        mean = p.nrem_minutes * NREM_TREND[min(cycle - 1, len(NREM_TREND) - 1)]
    if cycle == 0:
        # A REM latency under ~45 min is rare in healthy adults (SOREMPs are < 15 min).
        minutes = max(night.u.weibull(mean * traits.tempo, FIRST_NREM_SHAPE), 45.0)
    else:
        minutes = max(night.u.weibull(mean * traits.tempo, NREM_SHAPE), 30.0)
    return round(min(minutes, 170.0) * EPOCHS_PER_MINUTE)


def _nrem_period(night: _Builder, length: int, *, first: bool) -> None:
    """Light and deep bouts for ``length`` epochs (awakenings extend it).

    Light first (N1 -> N2 descent), then deep bouts entered with a chance that
    follows the N3 pressure, separated by light gaps; light again before REM.
    """
    u = night.u
    end = night.covered + length
    descent = u.epochs((11.0 if first else 5.0) * EPOCHS_PER_MINUTE, 1.6)
    ascent = u.epochs(6.0 * EPOCHS_PER_MINUTE, 1.6)
    night.light_bout(min(descent, length))
    deep_until = end - ascent
    while night.covered < deep_until and not night.full:
        pressure = min(night.pressure(), 1.0)
        if u.chance(min(0.95, 1.2 * pressure)):
            bout_minutes = 3.0 + 14.0 * pressure
            night.emit(
                DEEP,
                u.epochs(bout_minutes * EPOCHS_PER_MINUTE, 1.3, high=deep_until - night.covered),
            )
        gap = u.epochs((2.0 + 6.0 * (1.0 - pressure)) * EPOCHS_PER_MINUTE, 1.0)
        night.light_bout(min(gap, max(end - night.covered, 1)))
    if night.covered < end and not night.full:
        night.emit(LIGHT, end - night.covered)


def _rem_episode(night: _Builder, cycle: int) -> None:
    """A REM episode, longer later in the night, broken by brief interruptions."""
    u = night.u
    mean = REM_EPISODE_MINUTES[min(cycle, len(REM_EPISODE_MINUTES) - 1)] * night.traits.rem
    left = u.epochs(mean * EPOCHS_PER_MINUTE, 3.0, low=2)
    while left > 0 and not night.full:
        bout = u.epochs(9.0 * EPOCHS_PER_MINUTE, 1.0, high=left)
        night.emit(REM, bout)
        left -= bout
        if left > 0:
            if u.chance(0.3):
                night.emit(WAKE, u.epochs(2.0, 0.8, high=6))
            else:
                night.emit(LIGHT, u.epochs(3.0, 1.2, high=10))
