"""The SVG renderers (emulator.inspector.charts): segments are the stage runs, gaps the
missing epochs, one time axis in the requested zone; the output is well-formed SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.inspector import charts
from emulator.inspector.charts import Axis, Run, runs

SVG = "{http://www.w3.org/2000/svg}"
START = datetime(2025, 2, 28, 22, 5, 19, tzinfo=ZoneInfo("Asia/Seoul"))

sleep_stages = st.lists(st.sampled_from([-1, 0, 1, 2, 3]), min_size=1, max_size=2000)
binary_stages = st.lists(st.sampled_from([-1, 0, 1]), min_size=1, max_size=2000)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def rects(root: ET.Element, cls: str) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if cls in (r.get("class") or "").split()]


def drawn(root: ET.Element) -> list[tuple[int, int, int]]:
    """(stage, start, length) of every segment, in document order."""
    return [
        (int(r.get("data-stage", "")), int(r.get("data-start", "")), int(r.get("data-length", "")))
        for r in rects(root, "seg")
    ]


def gaps(root: ET.Element) -> list[tuple[int, int]]:
    found = rects(root, "gap")
    return [(int(r.get("data-start", "")), int(r.get("data-length", ""))) for r in found]


def expected(stages: Sequence[int]) -> tuple[list[tuple[int, int, int]], list[tuple[int, int]]]:
    segments = [(r.value, r.start, r.length) for r in runs(stages) if r.value >= 0]
    missing = [(r.start, r.length) for r in runs(stages) if r.value == -1]
    return segments, missing


# --------------------------------------------------------------------------- runs


@given(sleep_stages)
def test_runs_tile_the_night_and_are_maximal(stages: list[int]) -> None:
    found = runs(stages)
    assert [v for r in found for v in [r.value] * r.length] == stages
    assert found[0].start == 0
    assert all(a.end == b.start and a.value != b.value for a, b in pairwise(found))
    assert all(r.length > 0 for r in found)


def test_runs_of_a_small_night() -> None:
    assert runs([0, 0, 1, -1, -1, 3]) == [Run(0, 0, 2), Run(1, 2, 1), Run(-1, 3, 2), Run(3, 5, 1)]
    assert runs([]) == []


# --------------------------------------------------------------------------- hypnogram


@given(sleep_stages)
def test_hypnogram_segments_are_the_stage_runs_and_gaps_the_missing_epochs(
    stages: list[int],
) -> None:
    root = parse(charts.hypnogram_svg(stages, START))
    segments, missing = expected(stages)
    assert drawn(root) == segments
    assert gaps(root) == missing
    assert root.get("role") == "img"
    assert root.get("aria-label") == "Hypnogram"


@given(sleep_stages)
def test_segments_sit_on_one_time_axis(stages: list[int]) -> None:
    root = parse(charts.hypnogram_svg(stages, START))
    axis = Axis(START, len(stages))
    for r in rects(root, "seg") + rects(root, "gap"):
        start, length = int(r.get("data-start", "")), int(r.get("data-length", ""))
        assert float(r.get("x", "")) == pytest.approx(axis.x(start), abs=0.01)
        end = float(r.get("x", "")) + float(r.get("width", ""))
        assert end == pytest.approx(max(axis.x(start + length), axis.x(start) + 0.6), abs=0.02)
    xs = [float(r.get("x", "")) for r in rects(root, "seg")]
    assert xs == sorted(xs)


def test_each_stage_has_its_own_lane_and_colour() -> None:
    root = parse(charts.hypnogram_svg([0, 1, 2, 3, 1, 0], START))
    by_stage: dict[int, set[tuple[str | None, str | None]]] = {}
    for r in rects(root, "seg"):
        by_stage.setdefault(int(r.get("data-stage", "")), set()).add((r.get("y"), r.get("fill")))
    assert all(len(v) == 1 for v in by_stage.values())
    ys = {stage: next(iter(v))[0] for stage, v in by_stage.items()}
    colours = {stage: next(iter(v))[1] for stage, v in by_stage.items()}
    assert len(set(ys.values())) == 4
    assert len(set(colours.values())) == 4
    # Awake on top, then REM, light, deep: the order sleep apps draw.
    order = sorted(ys, key=lambda stage: float(ys[stage] or 0))
    assert order == [0, 3, 1, 2]


def test_two_stage_nights_have_two_lanes() -> None:
    root = parse(charts.hypnogram_svg([0, 1, 1, -1, 0], START, four_stage=False))
    labels = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "lane-label"]
    assert labels == ["Awake", "Asleep"]
    assert drawn(root) == [(0, 0, 1), (1, 1, 2), (0, 4, 1)]
    assert gaps(root) == [(3, 1)]


def test_a_night_without_any_data_is_one_gap() -> None:
    root = parse(charts.hypnogram_svg([-1] * 40, START))
    assert drawn(root) == []
    assert gaps(root) == [(0, 40)]
    assert "no data 20 min" in (root.findtext(f"{SVG}desc") or "")


def test_segments_carry_their_clock_times() -> None:
    root = parse(charts.hypnogram_svg([0] * 10 + [2] * 60, START))
    titles = [r.findtext(f"{SVG}title") for r in rects(root, "seg")]
    assert titles == ["Awake 22:05\N{EN DASH}22:10 (5 min)", "Deep 22:10\N{EN DASH}22:40 (30 min)"]


# --------------------------------------------------------------------------- tracks


@pytest.mark.parametrize(
    ("draw", "label"),
    [(charts.breathing_svg, "Breathing stability"), (charts.snoring_svg, "Snoring")],
)
@given(stages=binary_stages)
def test_tracks_draw_runs_and_gaps_too(
    draw: Callable[..., str], label: str, stages: list[int]
) -> None:
    root = parse(draw(stages, START))
    segments, missing = expected(stages)
    assert root.get("role") == "img"
    assert root.get("aria-label") == label
    assert drawn(root) == segments
    assert gaps(root) == missing


def test_tracks_share_the_hypnogram_axis() -> None:
    stages = [1] * 120 + [0] * 600 + [2] * 240
    ticks = [
        [(t.get("x"), t.text) for t in parse(svg).iter(f"{SVG}text") if t.get("class") == "tick"]
        for svg in (charts.hypnogram_svg(stages, START), charts.snoring_svg([0] * 960, START))
    ]
    assert ticks[0] == ticks[1]
    assert [label for _, label in ticks[0]] == ["23:00", "00:00", "01:00", "02:00", "03:00",
                                                 "04:00", "05:00", "06:00"]  # fmt: skip


# --------------------------------------------------------------------------- the axis


def test_ticks_are_the_full_hours_of_the_requested_zone() -> None:
    utc = Axis(START.astimezone(UTC), 960)  # 13:05 UTC, 8 hours
    seoul = Axis(START, 960)
    assert [label for _, label in utc.ticks()][:2] == ["14:00", "15:00"]
    assert [label for _, label in seoul.ticks()][:2] == ["23:00", "00:00"]
    # The same instants, so the same places on the axis.
    assert [x for x, _ in utc.ticks()] == [x for x, _ in seoul.ticks()]


def test_ticks_follow_a_daylight_saving_change() -> None:
    # Europe/Berlin springs forward at 02:00 on 2025-03-30: that hour does not exist.
    night = Axis(datetime(2025, 3, 29, 23, 30, tzinfo=ZoneInfo("Europe/Berlin")), 6 * 120)
    labels = [label for _, label in night.ticks()]
    assert labels == ["00:00", "01:00", "03:00", "04:00", "05:00", "06:00"]
    xs = [x for x, _ in night.ticks()]
    hour = charts.PLOT / 6  # one hour of a 6-hour night
    assert [round((b - a) / hour, 6) for a, b in pairwise(xs)] == [1.0] * 5
    assert night.time(120).strftime("%H:%M") == "00:30"
    assert night.time(240).strftime("%H:%M") == "01:30"
    assert night.time(360).strftime("%H:%M") == "03:30"  # 3 real hours after 23:30


def test_a_half_hour_zone_ticks_on_its_own_full_hours() -> None:
    axis = Axis(datetime(2025, 1, 1, 22, 10, tzinfo=ZoneInfo("Asia/Kolkata")), 240)
    assert [label for _, label in axis.ticks()] == ["23:00", "00:00"]


def test_long_nights_tick_every_other_hour() -> None:
    axis = Axis(datetime(2025, 1, 1, 0, 0, tzinfo=UTC), 2 * 18 * 60)  # 18 hours
    assert [label for _, label in axis.ticks()] == [f"{h:02d}:00" for h in range(0, 19, 2)]
