"""pysleep, Asleep's own reference implementation of the stage statistics.

``stage_metrics`` is the one place pysleep runs (asleep-api.md §5): latencies,
durations, ratios with their sum-to-1 adjustment, WASO, REM-cluster cycles and the
clock fields, typed (int seconds instead of timedelta). ``stats`` adds what pysleep
leaves out and applies the documented null rules.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from emulator.core import lazy

if TYPE_CHECKING:
    import pysleep
else:
    pysleep = lazy.module("pysleep")


@functools.cache
def _calculator() -> Any:
    """pysleep 0.2.0's calculator, accepting ``-1`` (no data) epochs.

    Its moment/latency/cluster code already handles ``-1`` exactly like the TS
    reference (non-wake for sleep onset, never counted); only this input check
    rejects it. Built on first use so that importing this module stays cheap.
    """

    class NoDataTolerantCalculator(pysleep.SleepStageCalculator):  # type: ignore[misc]
        def _validate_inputs(
            self, start_time: datetime, end_time: datetime, sleep_stages: list[int]
        ) -> None:
            if not sleep_stages:
                raise ValueError("sleep_stages cannot be empty")
            if end_time <= start_time:
                raise ValueError("end_time must be after start_time")

    return NoDataTolerantCalculator()


@dataclass(frozen=True, slots=True)
class StageMetrics:
    """pysleep's result with explicit types (int seconds instead of timedelta)."""

    sleep_time: datetime
    wake_time: datetime
    sleep_latency: int
    wakeup_latency: int
    light_latency: int | None
    deep_latency: int | None
    rem_latency: int | None
    time_in_bed: int
    time_in_sleep_period: int
    time_in_sleep: int
    time_in_wake: int
    time_in_light: int
    time_in_deep: int
    time_in_rem: int
    sleep_efficiency: float
    sleep_ratio: float
    wake_ratio: float
    light_ratio: float
    deep_ratio: float
    rem_ratio: float
    waso_count: int
    longest_waso: int
    sleep_cycle_count: int
    sleep_cycle: float | None
    sleep_cycle_time: tuple[datetime, ...]


def _seconds(value: timedelta) -> int:
    return round(value.total_seconds())


def _optional_seconds(value: timedelta | None) -> int | None:
    return None if value is None else _seconds(value)


def stage_metrics(
    sleep_stages: list[int], start_time: datetime, end_time: datetime
) -> StageMetrics:
    """Run pysleep (the one place it is called) and type its result."""
    result: Any = _calculator().calculate(sleep_stages, start_time, end_time)
    sleep_cycle: timedelta | None = result.sleep_cycle
    return StageMetrics(
        sleep_time=result.sleep_time,
        wake_time=result.wake_time,
        sleep_latency=_seconds(result.sleep_latency),
        wakeup_latency=_seconds(result.wakeup_latency),
        light_latency=_optional_seconds(result.light_latency),
        deep_latency=_optional_seconds(result.deep_latency),
        rem_latency=_optional_seconds(result.rem_latency),
        time_in_bed=_seconds(result.time_in_bed),
        time_in_sleep_period=_seconds(result.time_in_sleep_period),
        time_in_sleep=_seconds(result.time_in_sleep),
        time_in_wake=_seconds(result.time_in_wake),
        time_in_light=_seconds(result.time_in_light),
        time_in_deep=_seconds(result.time_in_deep),
        time_in_rem=_seconds(result.time_in_rem),
        sleep_efficiency=float(result.sleep_efficiency),
        sleep_ratio=float(result.sleep_ratio),
        wake_ratio=float(result.wake_ratio),
        light_ratio=float(result.light_ratio),
        deep_ratio=float(result.deep_ratio),
        rem_ratio=float(result.rem_ratio),
        waso_count=int(result.waso_count),
        longest_waso=_seconds(result.longest_waso),
        sleep_cycle_count=int(result.sleep_cycle_count),
        sleep_cycle=None if sleep_cycle is None else sleep_cycle.total_seconds(),
        sleep_cycle_time=tuple(result.sleep_cycle_time),
    )
