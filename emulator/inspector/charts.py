"""Charts of a night as inline SVG, drawn on the server: hypnogram, breathing, snoring.

Pure functions of the stage arrays and the session's start in the requested zone;
no scripts, so a page prints, works without JavaScript and can be checked by a test:

* each chart is ``<svg role="img" aria-label="...">`` with a ``<desc>`` in words;
* every run of equal stages is one ``<rect class="seg ...">`` carrying
  ``data-stage``, ``data-start`` (epoch index) and ``data-length`` (epochs), and a
  ``<title>`` with its clock times for a tooltip;
* every run of missing epochs (``-1``) is one hatched ``<rect class="gap">`` across
  the whole chart, so a stretch without data is visible, not silently left white;
* all three share one time axis (``Axis``): the same x for the same epoch, ticks on
  the full hours of the requested zone.

Stage codes (asleep-api.md §2.3): sleep 0 wake, 1 light, 2 deep, 3 REM (2-stage plan:
0 wake, 1 sleep); breath 0 stable, 1 unstable; snoring 0 no, 1 yes; -1 no data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Final

NO_DATA: Final = -1
WIDTH: Final = 1000
LEFT: Final = 86  # room for the lane labels
RIGHT: Final = 14
PLOT: Final = WIDTH - LEFT - RIGHT
AXIS_HEIGHT: Final = 22


@dataclass(frozen=True, slots=True)
class Run:
    """``length`` epochs of ``value`` from epoch ``start``."""

    value: int
    start: int
    length: int

    @property
    def end(self) -> int:
        return self.start + self.length


@dataclass(frozen=True, slots=True)
class Lane:
    value: int
    name: str
    css: str
    colour: str


FOUR_STAGE: Final = (
    Lane(0, "Awake", "wake", "#f39a6b"),
    Lane(3, "REM", "rem", "#56c4e3"),
    Lane(1, "Light", "light", "#4a86f0"),
    Lane(2, "Deep", "deep", "#36399e"),
)
TWO_STAGE: Final = (Lane(0, "Awake", "wake", "#f39a6b"), Lane(1, "Asleep", "sleep", "#4a86f0"))
BREATH: Final = (Lane(0, "Stable", "stable", "#a6dccd"), Lane(1, "Unstable", "unstable", "#e0606e"))
SNORING: Final = (Lane(0, "Quiet", "quiet", "#e6e9ef"), Lane(1, "Snoring", "snoring", "#8b5cf6"))


def runs(stages: Sequence[int]) -> list[Run]:
    """Maximal runs of equal values, in order; they tile ``0 .. len(stages)``."""
    found: list[Run] = []
    start = 0
    for i in range(1, len(stages) + 1):
        if i == len(stages) or stages[i] != stages[start]:
            found.append(Run(stages[start], start, i - start))
            start = i
    return found


@dataclass(frozen=True, slots=True)
class Axis:
    """Epoch index <-> x and clock time, for one night in the requested zone."""

    start: datetime  # aware, in the zone the page shows
    epochs: int
    epoch_seconds: int = 30

    def x(self, epoch: float) -> float:
        return LEFT + PLOT * epoch / max(self.epochs, 1)

    def time(self, epoch: int) -> datetime:
        # Through timestamps: aware arithmetic in one zone is wall-clock arithmetic,
        # an hour off across a DST change.
        seconds = self.start.timestamp() + epoch * self.epoch_seconds
        return datetime.fromtimestamp(seconds, self.start.tzinfo)

    def ticks(self) -> list[tuple[float, str]]:
        """(x, "HH:MM") on the full hours of the zone (every 2nd or 4th on long nights)."""
        seconds = self.epochs * self.epoch_seconds
        step = 1 if seconds <= 12 * 3600 else (2 if seconds <= 24 * 3600 else 4)
        zone = self.start.tzinfo
        origin = self.start.timestamp()
        hour = self.start.replace(minute=0, second=0, microsecond=0)
        found: list[tuple[float, str]] = []
        while hour.timestamp() <= origin + seconds:
            if hour.timestamp() >= origin and hour.hour % step == 0:
                offset = (hour.timestamp() - origin) / self.epoch_seconds
                found.append((self.x(offset), hour.strftime("%H:%M")))
            # One real hour on, floored to the zone's full hour (half-hour zones too).
            later = datetime.fromtimestamp(hour.timestamp() + 3600, zone)
            hour = later.replace(minute=0, second=0, microsecond=0)
        return found


def _fmt(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _span(axis: Axis, run: Run) -> str:
    minutes = run.length * axis.epoch_seconds / 60
    length = f"{minutes:.0f} min" if minutes < 90 else f"{minutes / 60:.1f} h"
    return f"{axis.time(run.start):%H:%M}\N{EN DASH}{axis.time(run.end):%H:%M} ({length})"


def _hatch(pattern_id: str) -> str:
    return (
        f'<defs><pattern id="{pattern_id}" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#f3f4f6"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#c4c8d0" stroke-width="2"/></pattern></defs>'
    )


def _gaps(axis: Axis, all_runs: list[Run], top: float, height: float, pattern_id: str) -> list[str]:
    return [
        f'<rect class="gap" data-start="{r.start}" data-length="{r.length}" '
        f'x="{_fmt(axis.x(r.start))}" y="{_fmt(top)}" '
        f'width="{_fmt(axis.x(r.end) - axis.x(r.start))}" height="{_fmt(height)}" '
        f'fill="url(#{pattern_id})"><title>No data {_span(axis, r)}</title></rect>'
        for r in all_runs
        if r.value == NO_DATA
    ]


def _grid(axis: Axis, top: float, bottom: float, labels: bool) -> list[str]:
    out: list[str] = []
    for x, label in axis.ticks():
        out.append(
            f'<line class="grid" x1="{_fmt(x)}" y1="{_fmt(top)}" x2="{_fmt(x)}" '
            f'y2="{_fmt(bottom)}" stroke="#e5e7eb" stroke-width="1"/>'
        )
        if labels:
            out.append(
                f'<text class="tick" x="{_fmt(x)}" y="{_fmt(bottom + 16)}" '
                f'text-anchor="middle">{label}</text>'
            )
    return out


def _svg(label: str, description: str, height: float, body: list[str]) -> str:
    return (
        f'<svg class="chart" role="img" aria-label="{escape(label)}" '
        f'viewBox="0 0 {WIDTH} {_fmt(height)}" xmlns="http://www.w3.org/2000/svg">'
        f"<desc>{escape(description)}</desc>{''.join(body)}</svg>"
    )


def _describe(axis: Axis, name: str, lanes: Sequence[Lane], all_runs: list[Run]) -> str:
    total = {lane.value: 0 for lane in lanes}
    missing = 0
    for r in all_runs:
        if r.value in total:
            total[r.value] += r.length
        elif r.value == NO_DATA:
            missing += r.length
    parts = [f"{lane.name} {total[lane.value] * axis.epoch_seconds // 60} min" for lane in lanes]
    if missing:
        parts.append(f"no data {missing * axis.epoch_seconds // 60} min")
    end = axis.time(axis.epochs)
    return f"{name} from {axis.start:%H:%M} to {end:%H:%M}: " + ", ".join(parts) + "."


def hypnogram_svg(
    stages: Sequence[int], start: datetime, *, epoch_seconds: int = 30, four_stage: bool = True
) -> str:
    """Sleep stages against clock time: one lane per stage, Awake on top."""
    axis = Axis(start, len(stages), epoch_seconds)
    lanes = FOUR_STAGE if four_stage else TWO_STAGE
    lane_h, top = 38.0, 8.0
    row = {lane.value: i for i, lane in enumerate(lanes)}
    bottom = top + lane_h * len(lanes)
    all_runs = runs(stages)
    body = [_hatch("hatch-hypnogram")]
    for i, lane in enumerate(lanes):
        y = top + i * lane_h
        body.append(
            f'<rect class="lane" x="{LEFT}" y="{_fmt(y)}" width="{PLOT}" height="{_fmt(lane_h)}" '
            f'fill="{"#f8f9fb" if i % 2 == 0 else "#ffffff"}"/>'
            f'<text class="lane-label" x="{LEFT - 10}" y="{_fmt(y + lane_h / 2 + 4)}" '
            f'text-anchor="end">{lane.name}</text>'
        )
    body += _grid(axis, top, bottom, labels=True)
    body += _gaps(axis, all_runs, top, bottom - top, "hatch-hypnogram")
    by_value = {lane.value: lane for lane in lanes}
    previous: Run | None = None
    for r in all_runs:
        found = by_value.get(r.value)
        if found is None:
            previous = None
            continue
        lane = found
        y = top + row[r.value] * lane_h
        if previous is not None:  # the step line between two stages, as sleep apps draw it
            y0 = top + row[previous.value] * lane_h + lane_h / 2
            x = _fmt(axis.x(r.start))
            body.append(
                f'<line class="step" x1="{x}" y1="{_fmt(y0)}" x2="{x}" '
                f'y2="{_fmt(y + lane_h / 2)}" stroke="#9aa3b2" stroke-width="1" opacity="0.55"/>'
            )
        body.append(
            f'<rect class="seg stage-{lane.css}" data-stage="{r.value}" data-start="{r.start}" '
            f'data-length="{r.length}" x="{_fmt(axis.x(r.start))}" y="{_fmt(y + 5)}" '
            f'width="{_fmt(max(axis.x(r.end) - axis.x(r.start), 0.6))}" '
            f'height="{_fmt(lane_h - 10)}" rx="3" fill="{lane.colour}">'
            f"<title>{lane.name} {_span(axis, r)}</title></rect>"
        )
        previous = r
    description = _describe(axis, "Sleep stages", lanes, all_runs)
    return _svg("Hypnogram", description, bottom + AXIS_HEIGHT, body)


def track_svg(
    stages: Sequence[int],
    start: datetime,
    *,
    label: str,
    lanes: Sequence[Lane],
    epoch_seconds: int = 30,
    axis_labels: bool = False,
) -> str:
    """A one-lane track (breathing stability, snoring) on the hypnogram's time axis."""
    axis = Axis(start, len(stages), epoch_seconds)
    top, height = 6.0, 26.0
    pattern = f"hatch-{label.lower().replace(' ', '-')}"
    all_runs = runs(stages)
    body = [
        _hatch(pattern),
        f'<rect class="lane" x="{LEFT}" y="{_fmt(top)}" width="{PLOT}" height="{_fmt(height)}" '
        f'fill="#f8f9fb"/>',
        f'<text class="lane-label" x="{LEFT - 10}" y="{_fmt(top + height / 2 + 4)}" '
        f'text-anchor="end">{escape(label.split()[0])}</text>',
    ]
    body += _grid(axis, top, top + height, labels=axis_labels)
    body += _gaps(axis, all_runs, top, height, pattern)
    by_value = {lane.value: lane for lane in lanes}
    for r in all_runs:
        lane = by_value.get(r.value)
        if lane is None:
            continue
        body.append(
            f'<rect class="seg {lane.css}" data-stage="{r.value}" data-start="{r.start}" '
            f'data-length="{r.length}" x="{_fmt(axis.x(r.start))}" y="{_fmt(top + 3)}" '
            f'width="{_fmt(max(axis.x(r.end) - axis.x(r.start), 0.6))}" '
            f'height="{_fmt(height - 6)}" rx="2" fill="{lane.colour}">'
            f"<title>{lane.name} {_span(axis, r)}</title></rect>"
        )
    height_total = top + height + (AXIS_HEIGHT if axis_labels else 6)
    return _svg(label, _describe(axis, label, lanes, all_runs), height_total, body)


def breathing_svg(stages: Sequence[int], start: datetime, *, epoch_seconds: int = 30) -> str:
    return track_svg(
        stages, start, label="Breathing stability", lanes=BREATH, epoch_seconds=epoch_seconds
    )


def snoring_svg(
    stages: Sequence[int], start: datetime, *, epoch_seconds: int = 30, axis_labels: bool = True
) -> str:
    return track_svg(
        stages,
        start,
        label="Snoring",
        lanes=SNORING,
        epoch_seconds=epoch_seconds,
        axis_labels=axis_labels,
    )
