"""Peculiarity labels, stat nullability, v2 validity and missing_data_ratio."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.asleep.peculiarities import (
    DEFAULT_THRESHOLDS,
    STAT_NULLING,
    Peculiarity,
    PeculiarityResult,
    SessionState,
    Thresholds,
    Validity,
    derive_peculiarities,
    missing_data_ratio,
    v2_validity,
)

EIGHT_HOURS = 8 * 3600


def _derive(
    state: SessionState = SessionState.COMPLETE,
    time_in_bed: int = EIGHT_HOURS,
    missing: float = 0.0,
    *,
    slept: bool = True,
    breathing_plan: bool = True,
    realtime_polling: bool = True,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> PeculiarityResult:
    return derive_peculiarities(
        state=state,
        time_in_bed_seconds=time_in_bed,
        missing_data_ratio=missing,
        slept=slept,
        breathing_plan=breathing_plan,
        realtime_polling=realtime_polling,
        thresholds=thresholds,
    )


def test_a_normal_complete_session_has_no_peculiarities() -> None:
    result = _derive()
    assert result.labels == ()
    assert result.as_list() == []
    assert not result.stat_is_null


def test_the_webhook_example_plan_without_breathing() -> None:
    # asleep-api.md §4.6 SESSION_COMPLETE example: ["NO_BREATHING_STABILITY"], stat present.
    result = _derive(breathing_plan=False)
    assert result.as_list() == ["NO_BREATHING_STABILITY"]
    assert not result.stat_is_null


@pytest.mark.parametrize("state", [SessionState.OPEN, SessionState.CLOSED])
def test_in_progress_nulls_stat_and_hides_analysis_labels(state: SessionState) -> None:
    result = _derive(state, time_in_bed=60, missing=0.9, slept=False)
    assert result.labels == (Peculiarity.IN_PROGRESS,)
    assert result.stat_is_null


def test_no_realtime_polling_only_while_in_progress() -> None:
    open_read = _derive(SessionState.OPEN, realtime_polling=False, breathing_plan=False)
    assert open_read.as_list() == ["IN_PROGRESS", "NO_BREATHING_STABILITY", "NO_REALTIME_POLLING"]
    assert open_read.stat_is_null
    complete = _derive(realtime_polling=False)
    assert Peculiarity.NO_REALTIME_POLLING not in complete.labels
    assert not complete.stat_is_null


@pytest.mark.parametrize(
    ("time_in_bed", "too_short", "too_long"),
    [(1199, True, False), (1200, False, False), (86400, False, False), (86401, False, True)],
)
def test_length_thresholds(time_in_bed: int, too_short: bool, too_long: bool) -> None:
    result = _derive(time_in_bed=time_in_bed)
    assert (Peculiarity.TOO_SHORT_FOR_ANALYSIS in result.labels) is too_short
    assert (Peculiarity.TOO_LONG_FOR_ANALYSIS in result.labels) is too_long
    assert result.stat_is_null is too_short  # TOO_LONG keeps the stat (§4.2)


@pytest.mark.parametrize(("missing", "defective"), [(0.3, False), (0.31, True), (1.0, True)])
def test_defect_threshold(missing: float, defective: bool) -> None:
    result = _derive(missing=missing)
    assert (Peculiarity.TOO_MANY_DEFECTS_IN_SLEEP_STAGES in result.labels) is defective
    assert result.stat_is_null is defective


def test_thresholds_are_parameters() -> None:
    custom = Thresholds(
        min_analysable_seconds=300, max_analysable_seconds=3600, defect_threshold=0.1
    )
    assert _derive(time_in_bed=600, thresholds=custom).labels == ()
    assert _derive(time_in_bed=4000, thresholds=custom).labels == (
        Peculiarity.TOO_LONG_FOR_ANALYSIS,
    )
    assert _derive(time_in_bed=1800, missing=0.2, thresholds=custom).labels == (
        Peculiarity.TOO_MANY_DEFECTS_IN_SLEEP_STAGES,
    )


def test_never_slept_keeps_the_stat() -> None:
    result = _derive(slept=False, breathing_plan=False)
    assert result.as_list() == ["NEVER_SLEPT", "NO_BREATHING_STABILITY"]
    assert not result.stat_is_null


def test_never_slept_is_not_claimed_for_unanalysable_sessions() -> None:
    assert _derive(time_in_bed=600, slept=False).labels == (Peculiarity.TOO_SHORT_FOR_ANALYSIS,)
    assert _derive(missing=0.5, slept=False).labels == (
        Peculiarity.TOO_MANY_DEFECTS_IN_SLEEP_STAGES,
    )


def test_labels_come_in_documented_order() -> None:
    result = _derive(time_in_bed=90000, missing=0.5, breathing_plan=False)
    assert result.as_list() == [
        "TOO_LONG_FOR_ANALYSIS",
        "TOO_MANY_DEFECTS_IN_SLEEP_STAGES",
        "NO_BREATHING_STABILITY",
    ]


@given(
    state=st.sampled_from(list(SessionState)),
    time_in_bed=st.integers(0, 200_000),
    missing=st.floats(0.0, 1.0),
    slept=st.booleans(),
    breathing_plan=st.booleans(),
    realtime_polling=st.booleans(),
)
def test_rule_invariants(
    state: SessionState,
    time_in_bed: int,
    missing: float,
    slept: bool,
    breathing_plan: bool,
    realtime_polling: bool,
) -> None:
    result = _derive(
        state,
        time_in_bed,
        missing,
        slept=slept,
        breathing_plan=breathing_plan,
        realtime_polling=realtime_polling,
    )
    labels = set(result.labels)
    assert len(labels) == len(result.labels)
    assert list(result.labels) == sorted(result.labels, key=list(Peculiarity).index)
    assert result.stat_is_null == bool(labels & STAT_NULLING)
    assert (Peculiarity.IN_PROGRESS in labels) == (state is not SessionState.COMPLETE)
    assert (Peculiarity.NO_BREATHING_STABILITY in labels) == (not breathing_plan)
    if Peculiarity.NEVER_SLEPT in labels:
        assert not slept
        assert not result.stat_is_null
    if state is SessionState.COMPLETE:
        assert result.stat_is_null == (time_in_bed < 1200 or missing > 0.3)


# --------------------------------------------------------------------------- missing data


def test_missing_data_ratio() -> None:
    assert missing_data_ratio([]) == 0.0
    assert missing_data_ratio([0, 1, 2, 3]) == 0.0
    assert missing_data_ratio([-1, 1, 1, 1]) == 0.25
    assert missing_data_ratio([-1] * 5) == 1.0
    assert missing_data_ratio([-1] + [1] * 49) == 0.02  # the documented example value
    # Python's round() on the binary double, like pysleep's round_second: 1/40 is
    # stored as 0.025000000000000001, so it rounds up.
    assert missing_data_ratio([-1] + [1] * 39) == 0.03
    assert missing_data_ratio(np.array([-1, -1, 0], dtype=np.int8)) == 0.67


def test_defect_rule_uses_the_rounded_ratio() -> None:
    stages = [-1] * 304 + [1] * 696  # 0.304 -> 0.30, which is not above 0.3
    ratio = missing_data_ratio(stages)
    assert ratio == 0.3
    assert Peculiarity.TOO_MANY_DEFECTS_IN_SLEEP_STAGES not in _derive(missing=ratio).labels


# --------------------------------------------------------------------------- v2 validity


@pytest.mark.parametrize(
    ("state", "time_in_bed", "missing", "osa_missing", "expected"),
    [
        (SessionState.OPEN, EIGHT_HOURS, 0.0, None, "IN_PROGRESS"),
        (SessionState.CLOSED, EIGHT_HOURS, 0.0, None, "IN_PROGRESS"),
        (SessionState.COMPLETE, EIGHT_HOURS, 0.0, None, "VALID"),
        (SessionState.COMPLETE, EIGHT_HOURS, 0.31, 0.9, "INVALID:TOO_MANY_DEFECTS_IN_SLEEP_STAGES"),
        (SessionState.COMPLETE, EIGHT_HOURS, 0.0, 0.31, "INVALID:TOO_MANY_DEFECTS_IN_OSA_STAGES"),
        (SessionState.COMPLETE, 600, 0.0, None, "INVALID:TOO_SHORT_FOR_ANALYSIS"),
        (SessionState.COMPLETE, 90000, 0.0, 0.0, "VALID"),
    ],
)
def test_v2_validity(
    state: SessionState,
    time_in_bed: int,
    missing: float,
    osa_missing: float | None,
    expected: str,
) -> None:
    validity = v2_validity(
        state=state,
        time_in_bed_seconds=time_in_bed,
        missing_data_ratio=missing,
        osa_missing_data_ratio=osa_missing,
    )
    assert validity == expected
    assert isinstance(validity, Validity)
