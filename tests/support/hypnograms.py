"""Measuring generated nights the way a sleep scientist reads a hypnogram.

Everything here works on the output arrays (0 wake, 1 light, 2 deep, 3 REM), never
on the generator's internals, so the tests measure what a client receives.

Definitions (ours, stated so the figures can be checked):

* sleep onset: the first non-wake epoch (as pysleep's ``sleep_latency``);
* REM period: REM epochs closer than 15 minutes belong to one period (brief light or
  wake interruptions do not end it);
* cycle: from sleep onset, or the end of the previous REM period, to the end of a REM
  period; sleep after the last REM period is an incomplete cycle and is not counted;
* thirds: the first and last 160 minutes of an 8-hour recording.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from emulator.asleep.night import DEEP, LIGHT, REM, WAKE

Stages = npt.NDArray[np.int8]
REM_MERGE_EPOCHS = 30  # 15 minutes
EPOCH_MINUTES = 0.5


def runs(values: Stages) -> list[tuple[int, int, int]]:
    """Maximal runs as (value, start, length)."""
    if not len(values):
        return []
    edges = np.flatnonzero(np.diff(values)) + 1
    starts = np.concatenate([[0], edges])
    ends = np.concatenate([edges, [len(values)]])
    return [(int(values[s]), int(s), int(e - s)) for s, e in zip(starts, ends, strict=True)]


def rem_periods(sleep: Stages) -> list[tuple[int, int]]:
    """REM periods as (first epoch, last epoch), merging gaps under 15 minutes."""
    rem = np.flatnonzero(sleep == REM)
    if not len(rem):
        return []
    breaks = np.flatnonzero(np.diff(rem) > REM_MERGE_EPOCHS)
    starts = np.concatenate([[rem[0]], rem[breaks + 1]])
    ends = np.concatenate([rem[breaks], [rem[-1]]])
    return [(int(s), int(e)) for s, e in zip(starts, ends, strict=True)]


@dataclass(frozen=True)
class Measured:
    """One night, measured."""

    onset: int | None
    rem_latency: float | None  # minutes from sleep onset
    rem_onsets: list[float]  # minutes from sleep onset, one per REM period
    rem_minutes: list[float]  # REM epochs per period, in minutes
    cycles: list[float]  # complete cycle lengths, minutes
    deep_in_cycles: list[int]  # deep epochs per complete cycle
    tst: int  # epochs
    shares: dict[int, float]  # stage -> share of TST
    deep_first_third: int
    deep_last_third: int
    awakenings: int  # wake runs between sleep onset and the last sleep epoch
    wake_runs: list[int]  # their lengths (epochs)
    waso: float  # minutes
    transitions_wnr: float  # wake/NREM/REM transitions per hour of sleep

    @property
    def cycle_sd(self) -> float | None:
        return float(np.std(self.cycles, ddof=1)) if len(self.cycles) >= 3 else None


def measure(sleep: Stages) -> Measured:
    asleep = np.flatnonzero(sleep > WAKE)
    tst = len(asleep)
    third = len(sleep) // 3
    first_third, last_third = sleep[:third], sleep[len(sleep) - third :]
    if not tst:
        return Measured(None, None, [], [], [], [], 0, {}, 0, 0, 0, [], 0.0, 0.0)
    onset, last = int(asleep[0]), int(asleep[-1])
    periods = rem_periods(sleep)
    ends = [onset] + [end + 1 for _, end in periods]
    period = sleep[onset : last + 1]
    wake_runs = [length for value, _, length in runs(period) if value == WAKE]
    nrem_rem = np.where(period == DEEP, LIGHT, period)
    return Measured(
        onset=onset,
        rem_latency=(periods[0][0] - onset) * EPOCH_MINUTES if periods else None,
        rem_onsets=[(start - onset) * EPOCH_MINUTES for start, _ in periods],
        rem_minutes=[
            float(np.count_nonzero(sleep[s : e + 1] == REM)) * EPOCH_MINUTES for s, e in periods
        ],
        cycles=[float(b - a) * EPOCH_MINUTES for a, b in itertools.pairwise(ends)],
        deep_in_cycles=[
            int(np.count_nonzero(sleep[a:b] == DEEP)) for a, b in itertools.pairwise(ends)
        ],
        tst=tst,
        shares={stage: np.count_nonzero(sleep == stage) / tst for stage in (LIGHT, DEEP, REM)},
        deep_first_third=int(np.count_nonzero(first_third == DEEP)),
        deep_last_third=int(np.count_nonzero(last_third == DEEP)),
        awakenings=len(wake_runs),
        wake_runs=wake_runs,
        waso=sum(wake_runs) * EPOCH_MINUTES,
        transitions_wnr=np.count_nonzero(np.diff(nrem_rem)) / (tst / 120),
    )


def correlation(a: npt.NDArray[np.int8], b: npt.NDArray[np.int8]) -> float:
    """Pearson correlation of two 0/1 series (0.0 if either is constant)."""
    x, y = a.astype(float), b.astype(float)
    if x.std() == 0 or y.std() == 0:
        return 0.0
    return float(np.corrcoef(x, y)[0, 1])
