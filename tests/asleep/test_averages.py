"""Average stats: circular clock averages, session selection and result shape."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.asleep.averages import (
    CompletedSession,
    average_stats,
    circular_mean_seconds,
    clock,
    seconds_of_day,
)
from emulator.asleep.documents import (
    AVERAGED_KEYS,
    SLEPT_SESSION_STAT_KEYS,
    STAT_KEYS,
    AsleepAverageStatsObject,
)
from emulator.asleep.night import final_night
from emulator.asleep.profiles import Profile
from emulator.asleep.stats import Stat, compute_stat, render_v3

SEOUL = ZoneInfo("Asia/Seoul")


def hms(text: str) -> int:
    hours, minutes, seconds = (int(part) for part in text.split(":"))
    return hours * 3600 + minutes * 60 + seconds


# --------------------------------------------------------------------------- clock averages


def test_clock_format() -> None:
    assert clock(0) == "00:00:00"
    assert clock(hms("02:54:01")) == "02:54:01"
    assert clock(86399) == "23:59:59"
    assert clock(86400 + 61) == "00:01:01"


@pytest.mark.parametrize(
    ("times", "expected"),
    [
        (["23:30:00", "00:30:00"], "00:00:00"),  # not 12:00
        (["22:00:00", "23:00:00", "03:00:00"], "00:00:00"),
        (["02:00:00", "04:00:00"], "03:00:00"),
        (["07:28:03"], "07:28:03"),
        (["23:59:59", "00:00:01"], "00:00:00"),
        (["23:00:00", "23:59:59"], "23:30:00"),  # 23:29:59.5 rounds half up
    ],
)
def test_circular_mean(times: list[str], expected: str) -> None:
    assert clock(circular_mean_seconds([hms(t) for t in times])) == expected


def test_circular_mean_of_opposite_times_is_deterministic() -> None:
    values = [hms("06:00:00"), hms("18:00:00")]
    assert circular_mean_seconds(values) == circular_mean_seconds(list(values))
    # No centre exists; the first time is taken as one and the other, exactly
    # 12 h away, is not shifted: the plain mean.
    assert clock(circular_mean_seconds(values)) == "12:00:00"
    assert clock(circular_mean_seconds(values[::-1])) == "12:00:00"


def test_circular_mean_needs_values() -> None:
    with pytest.raises(ValueError, match="no clock times"):
        circular_mean_seconds([])


@given(
    centre=st.integers(0, 86399),
    offsets=st.lists(st.integers(-4 * 3600, 4 * 3600), min_size=1, max_size=30),
)
def test_clustered_times_average_like_numbers(centre: int, offsets: list[int]) -> None:
    # Within a few hours of each other, the circular average is the plain average
    # of the times, wherever midnight falls.
    values = [(centre + offset) % 86400 for offset in offsets]
    expected = (centre + math.floor(sum(offsets) / len(offsets) + 0.5)) % 86400
    got = circular_mean_seconds(values)
    assert min((got - expected) % 86400, (expected - got) % 86400) <= 1


def test_seconds_of_day_uses_the_request_timezone() -> None:
    moment = datetime(2025, 1, 14, 18, 25, 18, tzinfo=UTC)
    assert seconds_of_day(moment, UTC) == hms("18:25:18")
    assert seconds_of_day(moment, SEOUL) == hms("03:25:18")


# --------------------------------------------------------------------------- helpers


def render_in(tz: ZoneInfo) -> Any:
    return lambda moment: moment.astimezone(tz).isoformat()


def _session(
    session_id: str,
    start: datetime,
    hours: float = 8.0,
    profile: Profile = Profile.NORMAL,
    *,
    four_stage: bool = True,
    breathing: bool = True,
    peculiarities: tuple[str, ...] = (),
    stat_null: bool = False,
) -> CompletedSession:
    epochs = round(hours * 120)
    night = final_night(11, session_id, profile, epochs)
    end = start + timedelta(seconds=30 * epochs)
    stat = compute_stat(
        night.sleep,
        night.breath,
        night.snoring,
        start,
        end,
        four_stage=four_stage,
        breathing=breathing,
    )
    assert stat is not None
    return CompletedSession(
        id=session_id,
        start_time=start,
        end_time=end,
        completed_time=end + timedelta(minutes=5),
        created_timezone="Asia/Seoul",
        stat=None if stat_null else stat,
        never_slept=stat.never_slept,
        peculiarities=peculiarities,
    )


def _result(
    sessions: Sequence[CompletedSession],
    *,
    tz: ZoneInfo = SEOUL,
    start: date = date(2025, 1, 15),
    end: date = date(2025, 1, 17),
    breathing_plan: bool = True,
) -> dict[str, Any]:
    return average_stats(
        sessions,
        tz=tz,
        timezone_name=str(tz),
        start_date=start,
        end_date=end,
        breathing_plan=breathing_plan,
        render_time=render_in(tz),
    )


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    # Local Seoul wall time -> aware datetime.
    return datetime(2025, 1, day, hour, minute, tzinfo=SEOUL)


# --------------------------------------------------------------------------- average_stats


def test_result_shape_and_session_partition() -> None:
    slept_a = _session("20250115140000_aaaaa", _at(15, 23, 30))
    slept_b = _session("20250116153000_bbbbb", _at(17, 0, 30))
    never = _session(
        "20250115150000_nnnnn",
        _at(16, 0, 0),
        profile=Profile.NEVER_SLEPT,
        peculiarities=("NEVER_SLEPT",),
    )
    too_short = _session(
        "20250116000000_sssss",
        _at(16, 9),
        hours=0.25,
        peculiarities=("TOO_SHORT_FOR_ANALYSIS",),
        stat_null=True,
    )
    outside = _session("20250119000000_ooooo", _at(19, 23))
    result = _result([slept_b, outside, never, too_short, slept_a])

    assert list(result) == [
        "period",
        "peculiarities",
        "average_stats",
        "never_slept_sessions",
        "slept_sessions",
    ]
    assert result["period"] == {
        "timezone": "Asia/Seoul",
        "start_date": "2025-01-15",
        "end_date": "2025-01-17",
    }
    assert result["peculiarities"] == []
    assert result["never_slept_sessions"] == [
        {
            "id": never.id,
            "start_time": "2025-01-16T00:00:00+09:00",
            "end_time": "2025-01-16T08:00:00+09:00",
            "completed_time": "2025-01-16T08:05:00+09:00",
        }
    ]
    assert [s["id"] for s in result["slept_sessions"]] == [slept_a.id, slept_b.id]

    averages = result["average_stats"]
    assert list(averages) == list(AsleepAverageStatsObject.model_fields)
    assert list(averages)[4:] == list(AVERAGED_KEYS)
    # 23:30 and 00:30 (Seoul) average to midnight, not noon.
    assert averages["start_time"] == "00:00:00"
    assert averages["end_time"] == "08:00:00"


def test_slept_session_entries() -> None:
    session = _session("20250115140000_aaaaa", _at(15, 23, 30))
    (entry,) = _result([session])["slept_sessions"]
    assert list(entry) == [
        "id",
        "created_timezone",
        "start_time",
        "end_time",
        "completed_time",
        *SLEPT_SESSION_STAT_KEYS,
    ]
    assert set(SLEPT_SESSION_STAT_KEYS) <= set(STAT_KEYS)
    assert entry["start_time"] == "2025-01-15T23:30:00+09:00"
    assert entry["created_timezone"] == "Asia/Seoul"
    assert session.stat is not None
    per_session = render_v3(session.stat, render_in(SEOUL))
    for key in SLEPT_SESSION_STAT_KEYS:
        assert entry[key] == per_session[key], key
    assert entry["sleep_time"].endswith("+09:00")


def test_averaged_values_and_rounding() -> None:
    sessions = [
        _session(f"2025011{5 + i}140000_s{i}xxx", _at(15 + i, 23, 10 * i)) for i in range(3)
    ]
    averages = _result(sessions)["average_stats"]
    stats: list[Stat] = [s.stat for s in sessions if s.stat is not None]

    def mean(key: str) -> float:
        values = [getattr(stat, key) for stat in stats]
        return math.fsum(values) / len(values)

    for key in ("time_in_sleep", "time_in_bed", "sleep_latency", "waso_count", "sleep_index"):
        assert averages[key] == math.floor(mean(key) + 0.5), key
        assert type(averages[key]) is int, key
    for key in ("sleep_efficiency", "wake_ratio", "light_ratio", "snoring_ratio"):
        assert averages[key] == round(mean(key), 3), key
        assert type(averages[key]) is float, key
    assert averages["breathing_index"] == round(mean("breathing_index"), 2)
    assert averages["breathing_pattern"] == "STABLE_BREATH"
    sleep_times = [seconds_of_day(stat.sleep_time, SEOUL) for stat in stats if stat.sleep_time]
    assert averages["sleep_time"] == clock(circular_mean_seconds(sleep_times))


def test_nulls_where_every_input_is_null() -> None:
    sessions = [
        _session(
            f"2025011{5 + i}140000_t{i}xxx", _at(15 + i, 23), four_stage=False, breathing=False
        )
        for i in range(2)
    ]
    result = _result(sessions, breathing_plan=False)
    assert result["peculiarities"] == ["NO_BREATHING_STABILITY"]
    averages = result["average_stats"]
    for key in (
        "time_in_light",
        "time_in_deep",
        "time_in_rem",
        "light_ratio",
        "deep_ratio",
        "rem_ratio",
        "light_latency",
        "time_in_stable_breath",
        "unstable_breath_ratio",
        "breathing_index",
        "breathing_pattern",
        "unstable_breath_count",
        "sleep_cycle",
    ):
        assert averages[key] is None, key
    assert averages["time_in_sleep"] > 0
    assert averages["sleep_cycle_count"] == 0


def test_no_slept_sessions_means_null_average_stats() -> None:
    never = _session("20250115150000_nnnnn", _at(16, 0), profile=Profile.NEVER_SLEPT)
    result = _result([never])
    assert result["average_stats"] is None
    assert [s["id"] for s in result["never_slept_sessions"]] == [never.id]
    assert result["slept_sessions"] == []
    assert _result([])["average_stats"] is None


def test_period_is_matched_on_the_start_date_in_the_request_timezone() -> None:
    # 2025-01-14T16:00Z is 2025-01-15 01:00 in Seoul.
    session = _session("20250114160000_zzzzz", datetime(2025, 1, 14, 16, 0, tzinfo=UTC))
    in_seoul = _result([session], tz=SEOUL, start=date(2025, 1, 15), end=date(2025, 1, 15))
    in_utc = _result([session], tz=ZoneInfo("UTC"), start=date(2025, 1, 15), end=date(2025, 1, 15))
    assert [s["id"] for s in in_seoul["slept_sessions"]] == [session.id]
    assert in_utc["slept_sessions"] == []
    assert in_utc["average_stats"] is None
