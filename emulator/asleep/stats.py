"""Per-session statistics: the v3 ``stat`` object and the v1/v2 legacy one.

This module owns turning stage lists into the documented Stat object (seed 001
§2.1.6; asleep-api.md §3.7.1, §3.7.2, §5).  The stage metrics -- latencies,
durations, ratios with their sum-to-1 adjustment, WASO, REM-cluster cycles,
``sleep_time``/``wake_time``/``sleep_cycle_time`` -- come from pysleep's
``SleepStageCalculator``, Asleep's own reference implementation; this module
adds what pysleep leaves out (snoring, breathing stability, ``sleep_index``),
applies the documented null rules and fixes the JSON key order and types.

Clock fields are aware ``datetime`` objects; rendering them in a request
timezone is the caller's job (``render_v3(stat, render_time)``).

Missing epochs (``-1``): pysleep's stage logic (like sleep-stats-ts, the TS
reference that "matches Asleep backend behavior", asleep-api.md §5) treats
``-1`` as *non-wake* when locating the first/last sleep epoch and ignores it in
every stage count; only pysleep's input check rejects it.  We keep exactly that
behaviour (see ``reference``), so with missing epochs
``sleep_latency + time_in_sleep_period + wakeup_latency`` is less than the time
in bed by the missing epochs inside the sleep period, and a night that starts
with a missing epoch has ``sleep_latency`` 0 -- a quirk of the reference that
we reproduce rather than "fix".  A night with no light/deep/REM epoch at all is
NEVER_SLEPT even if it has ``-1`` epochs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from emulator.asleep.night import NO_DATA, WAKE, two_stage_stages
from emulator.asleep.reference import StageMetrics, stage_metrics
from emulator.asleep.vocab import SLEEP_INDEX
from emulator.core import lazy

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from emulator.asleep import documents
else:
    np = lazy.module("numpy")
    # The Stat declaration imports pydantic: loaded with the first stat, not at start-up.
    documents = lazy.module("emulator.asleep.documents")

SECONDS_PER_EPOCH: Final = 30

StageInput: TypeAlias = "Sequence[int] | npt.NDArray[np.integer[Any]]"
RenderTime = Callable[[datetime], str]


# The two breathing_pattern enums list one value per AHI band, mildest first (their
# docstrings are the OpenAPI descriptions).
class BreathingPattern(StrEnum):
    """v3 ``breathing_pattern`` values (seed 001 §2.1.6)."""

    STABLE_BREATH = "STABLE_BREATH"
    MILDLY_UNSTABLE_BREATH = "MILDLY_UNSTABLE_BREATH"
    MODERATELY_UNSTABLE_BREATH = "MODERATELY_UNSTABLE_BREATH"
    SEVERELY_UNSTABLE_BREATH = "SEVERELY_UNSTABLE_BREATH"


class LegacyBreathingPattern(StrEnum):
    """v1.0-era (``/data/v2``) ``breathing_pattern`` values (seed 000 §1.3.3)."""

    VERY_STABLE = "VERY_STABLE"
    STABLE = "STABLE"
    UNSTABLE = "UNSTABLE"
    VERY_UNSTABLE = "VERY_UNSTABLE"


# INFERRED: the thresholds are not public (asleep-api.md §9.12).  breathing_index
# succeeded v1's estimated_ahi (same description, "values for determining
# respiratory instability levels"; the seed 001 example pairs 64.83 with
# SEVERELY_UNSTABLE_BREATH), so it is read as an AHI and banded like one (AASM:
# < 5 normal, 5-15 mild, 15-30 moderate, >= 30 severe).
BREATHING_INDEX_BANDS: Final = (5.0, 15.0, 30.0)

Stat: TypeAlias = "documents.AsleepStat"
"""The v3 Stat object (``documents.AsleepStat``: its declaration, in documented key order)."""


def render_v3(stat: Stat, render_time: RenderTime) -> dict[str, Any]:
    """The v3 ``stat`` JSON object, every key in documented order."""
    return {key: _jsonable(getattr(stat, key), render_time) for key in documents.STAT_KEYS}


def render_v2(stat: Stat, render_time: RenderTime) -> dict[str, Any]:
    """The v1.0-era ``stat`` object served by ``/data/v2`` (asleep-api.md §3.7.2).

    ``estimated_ahi`` is INFERRED to be the same AHI-like value as the v3
    ``breathing_index`` (same description in both doc generations), and the v1.0
    ``breathing_pattern`` is banded from it like the v3 one.  Null rules (seed 000
    §1.3.3) are a subset of the v3 ones, so they carry over.
    """
    index = stat.breathing_index
    values = {key: getattr(stat, key) for key in documents.V2_STAT_KEYS[:-2]}
    values["breathing_pattern"] = None if index is None else legacy_breathing_pattern_for(index)
    values["estimated_ahi"] = index
    return {key: _jsonable(value, render_time) for key, value in values.items()}


def _jsonable(value: object, render_time: RenderTime) -> object:
    if isinstance(value, datetime):
        return render_time(value)
    if isinstance(value, tuple):
        return [_jsonable(item, render_time) for item in value]
    if isinstance(value, StrEnum):
        return value.value
    return value


def _band(breathing_index: float) -> int:
    """0-3: which of the INFERRED AHI bands (``BREATHING_INDEX_BANDS``) it falls in."""
    return sum(breathing_index >= edge for edge in BREATHING_INDEX_BANDS)


def breathing_pattern_for(breathing_index: float) -> BreathingPattern:
    """v3 ``breathing_pattern`` of a ``breathing_index`` (INFERRED AHI bands)."""
    return tuple(BreathingPattern)[_band(breathing_index)]


def legacy_breathing_pattern_for(breathing_index: float) -> LegacyBreathingPattern:
    """v1.0 ``breathing_pattern`` of an ``estimated_ahi`` (INFERRED, same bands)."""
    return tuple(LegacyBreathingPattern)[_band(breathing_index)]


def sleep_index_for(
    *, sleep_efficiency: float, time_in_sleep: int, waso_count: int, longest_waso: int
) -> int:
    """INFERRED ``sleep_index`` (50..100); pysleep sets it to None (not public, §5.8).

    Built from what the [2ND] skills name (total sleep time, efficiency,
    awakenings):  50 + 50 * (0.45 * E + 0.35 * T + 0.20 * C * T), where
    E = efficiency scaled from 0.50 (0) to 0.95 (1), T = sleep time scaled from
    3 h (0) to 7.5 h (1), and C = continuity (fewer and shorter awakenings).
    C is weighted by T because a very short sleep says nothing about
    continuity -- which is also what makes the documented poor night
    (efficiency 0.3, 18 min asleep, one 3-min WASO) score exactly 50.
    """
    efficiency = _clamp01((sleep_efficiency - 0.50) / 0.45)
    sleep_hours = time_in_sleep / 3600.0
    duration = _clamp01((sleep_hours - 3.0) / 4.5)
    continuity = _clamp01(1.0 - waso_count / 15.0) * _clamp01(1.0 - longest_waso / 3600.0)
    quality = 0.45 * efficiency + 0.35 * duration + 0.20 * continuity * duration
    low, high = SLEEP_INDEX
    return min(high, max(low, math.floor(50.0 + 50.0 * quality + 0.5)))


def _clamp01(value: float) -> float:
    return min(1.0, max(0.0, value))


def _round2(value: float) -> float:
    # pysleep utils.round_second: Python's round() to 2 decimals (on the binary double).
    return round(value, 2)


# --------------------------------------------------------------------------- compute


def has_sleep(sleep_stages: StageInput) -> bool:
    """Whether any epoch is light, deep or REM (not NEVER_SLEPT, asleep-api.md §4.2)."""
    return bool(np.any(np.asarray(sleep_stages) > WAKE))


def _as_stages(values: StageInput, allowed: tuple[int, ...], name: str) -> npt.NDArray[np.int8]:
    array = np.array(values, dtype=np.int64).reshape(-1)
    if array.size and not np.isin(array, allowed).all():
        raise ValueError(f"{name} stages must only contain {list(allowed)}")
    return array.astype(np.int8)


def _runs(flags: npt.NDArray[np.bool_]) -> int:
    """Number of maximal runs of True."""
    if not flags.size:
        return 0
    return int(flags[0]) + int(np.count_nonzero(flags[1:] & ~flags[:-1]))


@dataclass(frozen=True, slots=True)
class _EventMetrics:
    time_in_event: int
    time_in_no_event: int
    event_ratio: float
    no_event_ratio: float
    event_count: int
    event_epochs: int


def _event_metrics(
    events: npt.NDArray[np.int8], period: slice, in_period: npt.NDArray[np.bool_], period_s: int
) -> _EventMetrics:
    """Snoring or unstable breathing over the sleep period (asleep-api.md §5.9-5.10).

    INFERRED from the documented example (``time_in_snoring`` 0 +
    ``time_in_no_snoring`` 1260 = ``time_in_sleep_period``): both times partition
    the sleep period's epochs with data, the ratios are over the sleep period,
    and the "no" ratio is 1 minus the rounded ratio (pysleep's ``sleep_ratio``
    pattern) so the pair always sums to 1.  The count is the number of runs.
    """
    flagged = (events[period] == 1) & in_period
    epochs = int(np.count_nonzero(flagged))
    time_in_event = epochs * SECONDS_PER_EPOCH
    ratio = _round2(time_in_event / period_s) if period_s else 0.0
    return _EventMetrics(
        time_in_event=time_in_event,
        time_in_no_event=period_s - time_in_event,
        event_ratio=ratio,
        no_event_ratio=_round2(max(1.0 - ratio, 0.0)) if period_s else 0.0,
        event_count=_runs(flagged),
        event_epochs=epochs,
    )


def compute_stat(
    sleep_stages: StageInput,
    breath_stages: StageInput | None,
    snoring_stages: StageInput | None,
    start_time: datetime,
    end_time: datetime,
    *,
    four_stage: bool,
    breathing: bool,
) -> Stat | None:
    """The v3 Stat of a COMPLETE session, or None when there is no epoch at all.

    ``four_stage=False`` is the 2-stage plan: light/deep/REM are merged before
    computing and their times, ratios and latencies are null.  ``breathing=False``
    nulls every breathing field (``breath_stages`` is then ignored).  Missing
    ``snoring_stages`` (None) nulls the snoring fields.  Whether ``stat`` is
    served at all is ``emulator.asleep.peculiarities``' call, not this one's.
    """
    if start_time.tzinfo is None or end_time.tzinfo is None:
        raise ValueError("start_time and end_time must be timezone-aware")
    sleep = _as_stages(sleep_stages, (NO_DATA, 0, 1, 2, 3), "sleep")
    if not sleep.size:
        return None
    if not four_stage:
        sleep = two_stage_stages(sleep)
    breath = _paired(breath_stages if breathing else None, sleep, "breath")
    if breathing and breath is None:
        raise ValueError("breath_stages are required when breathing=True")
    snoring = _paired(snoring_stages, sleep, "snoring")

    slept = has_sleep(sleep)
    # NEVER_SLEPT: pysleep's all-wake path (period 0, ratios 0) without letting -1
    # epochs open a "sleep period" of nothing but missing data.
    core = stage_metrics(sleep.tolist() if slept else [WAKE] * sleep.size, start_time, end_time)
    first = core.sleep_latency // SECONDS_PER_EPOCH
    last = sleep.size - 1 - core.wakeup_latency // SECONDS_PER_EPOCH
    period = slice(first, last + 1) if slept else slice(0, 0)
    in_period = sleep[period] != NO_DATA

    def events(stages: npt.NDArray[np.int8] | None) -> _EventMetrics | None:
        if stages is None:
            return None
        return _event_metrics(stages, period, in_period, core.time_in_sleep_period)

    values = {
        **_stage_values(core, four_stage=four_stage, slept=slept),
        **_breathing_values(events(breath), core, slept=slept),
        **_snoring_values(events(snoring), slept=slept),
    }
    return documents.AsleepStat.model_construct(**values)


def _stage_values(core: StageMetrics, *, four_stage: bool, slept: bool) -> dict[str, Any]:
    """The sleep-stage keys; seed 001 §2.1.6 null rules: the 2-stage plan nulls the
    light/deep/REM times, ratios and latencies; NEVER_SLEPT nulls latencies, clock times,
    ratios, sleep_cycle, longest_waso and sleep_index."""

    def staged(value: Any) -> Any:
        return value if four_stage else None

    def when_slept(value: Any) -> Any:
        return value if slept else None

    index = sleep_index_for(
        sleep_efficiency=core.sleep_efficiency,
        time_in_sleep=core.time_in_sleep,
        waso_count=core.waso_count,
        longest_waso=core.longest_waso,
    )
    return {
        "sleep_time": when_slept(core.sleep_time),
        "wake_time": when_slept(core.wake_time),
        "sleep_index": when_slept(index),
        "sleep_latency": when_slept(core.sleep_latency),
        "wakeup_latency": when_slept(core.wakeup_latency),
        **{
            f"{stage}_latency": staged(when_slept(getattr(core, f"{stage}_latency")))
            for stage in ("light", "deep", "rem")
        },
        "time_in_bed": core.time_in_bed,
        "time_in_sleep_period": core.time_in_sleep_period,
        "time_in_sleep": core.time_in_sleep,
        "time_in_wake": core.time_in_wake,
        **{
            f"time_in_{stage}": staged(getattr(core, f"time_in_{stage}"))
            for stage in ("light", "deep", "rem")
        },
        "sleep_efficiency": core.sleep_efficiency,
        "sleep_ratio": when_slept(core.sleep_ratio),
        "wake_ratio": when_slept(core.wake_ratio),
        **{
            f"{stage}_ratio": staged(when_slept(getattr(core, f"{stage}_ratio")))
            for stage in ("light", "deep", "rem")
        },
        "waso_count": core.waso_count,
        "longest_waso": when_slept(core.longest_waso),
        "sleep_cycle_count": core.sleep_cycle_count,
        # sleep-stats-ts rounds the average cycle with floor(x + 0.5) (§5.7).
        "sleep_cycle": None if core.sleep_cycle is None else math.floor(core.sleep_cycle + 0.5),
        "sleep_cycle_time": core.sleep_cycle_time,
    }


def _breathing_values(
    unstable: _EventMetrics | None, core: StageMetrics, *, slept: bool
) -> dict[str, Any]:
    """Breathing stability: null without the breathing plan (seed 001 §2.1.6)."""
    index: float | None = None
    if unstable is not None and slept:
        # INFERRED: unstable 30-s epochs per hour of sleep, an AHI-like rate.
        index = _round2(unstable.event_epochs / (core.time_in_sleep / 3600.0))
    return {
        "time_in_stable_breath": None if unstable is None else unstable.time_in_no_event,
        "time_in_unstable_breath": None if unstable is None else unstable.time_in_event,
        "stable_breath_ratio": None if unstable is None or not slept else unstable.no_event_ratio,
        "unstable_breath_ratio": None if unstable is None or not slept else unstable.event_ratio,
        "breathing_index": index,
        "breathing_pattern": None if index is None else breathing_pattern_for(index),
        "unstable_breath_count": None if unstable is None else unstable.event_count,
    }


def _snoring_values(snore: _EventMetrics | None, *, slept: bool) -> dict[str, Any]:
    """Snoring; INFERRED: the NEVER_SLEPT list predates snoring and, like the breathing
    ratios, a ratio over an empty sleep period is null."""
    return {
        "time_in_snoring": None if snore is None else snore.time_in_event,
        "time_in_no_snoring": None if snore is None else snore.time_in_no_event,
        "snoring_ratio": None if snore is None or not slept else snore.event_ratio,
        "no_snoring_ratio": None if snore is None or not slept else snore.no_event_ratio,
        "snoring_count": None if snore is None else snore.event_count,
    }


def _paired(
    values: StageInput | None, sleep: npt.NDArray[np.int8], name: str
) -> npt.NDArray[np.int8] | None:
    if values is None:
        return None
    array = _as_stages(values, (NO_DATA, 0, 1), name)
    if array.size != sleep.size:
        raise ValueError(f"{name} stages must have as many epochs as sleep stages")
    return array
