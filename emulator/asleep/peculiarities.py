"""Peculiarity labels, the v2 ``validity`` value and ``missing_data_ratio``.

This module owns the pure rules that decide, from a session's state, length,
missing data and the customer's plan, which ``peculiarities`` a v3 session
read carries and whether its ``stat`` is null (seed 001 §2.1.1; asleep-api.md
§3.7.1, §4.2), and the v1.0-era ``validity`` of a ``/data/v2`` read
(asleep-api.md §3.7.2).  Thresholds are parameters: the documented defaults
are "currently" values and the defect threshold is INFERRED.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from emulator.asleep.night import NO_DATA
from emulator.core import lazy

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
else:
    np = lazy.module("numpy")


class SessionState(StrEnum):
    """Server-side session states (asleep-api.md §2.1)."""

    OPEN = "OPEN"
    CLOSED = "CLOSED"
    COMPLETE = "COMPLETE"


class Peculiarity(StrEnum):
    """v3 peculiarity labels, declared in the documented order (seed 001 §2.1.1).

    ``derive_peculiarities`` lists labels in this order (INFERRED: the docs never
    show two labels together except in this table).
    """

    IN_PROGRESS = "IN_PROGRESS"
    NEVER_SLEPT = "NEVER_SLEPT"
    TOO_SHORT_FOR_ANALYSIS = "TOO_SHORT_FOR_ANALYSIS"
    TOO_LONG_FOR_ANALYSIS = "TOO_LONG_FOR_ANALYSIS"
    TOO_MANY_DEFECTS_IN_SLEEP_STAGES = "TOO_MANY_DEFECTS_IN_SLEEP_STAGES"
    NO_BREATHING_STABILITY = "NO_BREATHING_STABILITY"
    NO_REALTIME_POLLING = "NO_REALTIME_POLLING"


# Seed 001 §2.1.1: "if peculiarities == IN_PROGRESS or NO_REALTIME_POLLING or
# TOO_SHORT_FOR_ANALYSIS or TOO_MANY_DEFECTS_IN_SLEEP_STAGES: stat object is null".
STAT_NULLING: Final = frozenset(
    {
        Peculiarity.IN_PROGRESS,
        Peculiarity.NO_REALTIME_POLLING,
        Peculiarity.TOO_SHORT_FOR_ANALYSIS,
        Peculiarity.TOO_MANY_DEFECTS_IN_SLEEP_STAGES,
    }
)


class Validity(StrEnum):
    """v1.0-era ``validity`` values (asleep-api.md §3.7.2)."""

    IN_PROGRESS = "IN_PROGRESS"
    VALID = "VALID"
    TOO_MANY_DEFECTS_IN_SLEEP_STAGES = "INVALID:TOO_MANY_DEFECTS_IN_SLEEP_STAGES"
    TOO_MANY_DEFECTS_IN_OSA_STAGES = "INVALID:TOO_MANY_DEFECTS_IN_OSA_STAGES"
    # INFERRED: the v1.0 docs null every field of a session "lasting less than 20
    # minutes" (seed 000 §1.3.3) but the archived validity list names no value
    # for it; this one follows the documented ``INVALID:<reason>`` pattern.
    TOO_SHORT_FOR_ANALYSIS = "INVALID:TOO_SHORT_FOR_ANALYSIS"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Analysis limits; defaults are the documented "currently" values."""

    min_analysable_seconds: int = 1200
    """TOO_SHORT_FOR_ANALYSIS below this ("currently less than 20 minutes")."""
    max_analysable_seconds: int = 86400
    """TOO_LONG_FOR_ANALYSIS above this ("currently exceeding 24 hours")."""
    defect_threshold: float = 0.3
    """TOO_MANY_DEFECTS_IN_SLEEP_STAGES above this missing-data ratio.

    INFERRED (asleep-api.md §4.2): the [2ND] skills say 70 % upload integrity
    is needed.
    """


DEFAULT_THRESHOLDS: Final = Thresholds()


@dataclass(frozen=True, slots=True)
class PeculiarityResult:
    """Ordered labels of a v3 read, and whether its ``stat`` must be null."""

    labels: tuple[Peculiarity, ...]
    stat_is_null: bool

    def as_list(self) -> list[str]:
        """The JSON ``peculiarities`` value."""
        return [label.value for label in self.labels]


def missing_data_ratio(stages: Sequence[int] | npt.NDArray[np.integer[Any]]) -> float:
    """Share of ``-1`` (no data) epochs, rounded to 2 decimals; 0.0 for no epochs.

    INFERRED definition (asleep-api.md §2.3, §9.14).  Rounded with Python's
    ``round(x, 2)`` like every other ratio (pysleep ``round_second``; the
    documented example is ``0.02``), and the defect rule compares this *rounded*
    value, so what a client sees is what decided the label.
    """
    array = np.asarray(stages)
    if not array.size:
        return 0.0
    return round(float(np.count_nonzero(array == NO_DATA)) / array.size, 2)


def derive_peculiarities(
    *,
    state: SessionState,
    time_in_bed_seconds: int,
    missing_data_ratio: float,
    slept: bool,
    breathing_plan: bool,
    realtime_polling: bool,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> PeculiarityResult:
    """The v3 ``peculiarities`` of a session read and whether ``stat`` is null.

    Rules (seed 001 §2.1.1; asleep-api.md §4.2):

    - OPEN/CLOSED -> IN_PROGRESS; the analysis labels below are only decided on
      the final analysis, so an in-progress read carries none of them (INFERRED).
    - NO_REALTIME_POLLING only while in progress (INFERRED: it is about
      "real-time access"; on a COMPLETE session it would null every stat of
      such a plan).
    - TOO_SHORT_FOR_ANALYSIS: time in bed < min (strict, "less than").
    - TOO_LONG_FOR_ANALYSIS: time in bed > max (strict, "exceeding"); stat kept.
    - TOO_MANY_DEFECTS_IN_SLEEP_STAGES: missing_data_ratio > threshold.
    - NEVER_SLEPT: no sleep found -- only when the session was analysable at
      all (not too short, not too defective; INFERRED).
    - NO_BREATHING_STABILITY: the plan has no breathing analysis, in any state.
    """
    labels: set[Peculiarity] = set()
    if state is not SessionState.COMPLETE:
        labels.add(Peculiarity.IN_PROGRESS)
        if not realtime_polling:
            labels.add(Peculiarity.NO_REALTIME_POLLING)
    else:
        too_short = time_in_bed_seconds < thresholds.min_analysable_seconds
        defective = missing_data_ratio > thresholds.defect_threshold
        if too_short:
            labels.add(Peculiarity.TOO_SHORT_FOR_ANALYSIS)
        if time_in_bed_seconds > thresholds.max_analysable_seconds:
            labels.add(Peculiarity.TOO_LONG_FOR_ANALYSIS)
        if defective:
            labels.add(Peculiarity.TOO_MANY_DEFECTS_IN_SLEEP_STAGES)
        if not slept and not too_short and not defective:
            labels.add(Peculiarity.NEVER_SLEPT)
    if not breathing_plan:
        labels.add(Peculiarity.NO_BREATHING_STABILITY)
    ordered = tuple(label for label in Peculiarity if label in labels)
    return PeculiarityResult(
        labels=ordered, stat_is_null=any(label in STAT_NULLING for label in ordered)
    )


def v2_validity(
    *,
    state: SessionState,
    time_in_bed_seconds: int,
    missing_data_ratio: float,
    osa_missing_data_ratio: float | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> Validity:
    """The ``/data/v2`` ``validity`` (asleep-api.md §3.7.2); ``stat`` is null unless VALID.

    IN_PROGRESS is documented for OPEN; a CLOSED session's analysis is still
    running, so it is IN_PROGRESS too (INFERRED).  Sleep-stage defects win over
    OSA-stage defects, which are only checked when ``osa_missing_data_ratio`` is
    given (the apnea feature is on).  A NEVER_SLEPT session is VALID with the
    documented nulls (seed 000 §1.3.3).
    """
    if state is not SessionState.COMPLETE:
        return Validity.IN_PROGRESS
    if time_in_bed_seconds < thresholds.min_analysable_seconds:
        return Validity.TOO_SHORT_FOR_ANALYSIS
    if missing_data_ratio > thresholds.defect_threshold:
        return Validity.TOO_MANY_DEFECTS_IN_SLEEP_STAGES
    if osa_missing_data_ratio is not None and osa_missing_data_ratio > thresholds.defect_threshold:
        return Validity.TOO_MANY_DEFECTS_IN_OSA_STAGES
    return Validity.VALID
