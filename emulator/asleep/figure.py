"""A page of synthetic hypnograms as SVG, for docs/nights.md.

This module owns drawing generated nights (``emulator.asleep.night``) the way
sleep scientists read them: one hypnogram per night (wake on top, then REM,
light, deep), with the night's snoring and unstable-breathing epochs as rows
underneath and its statistics (``emulator.asleep.stats``, i.e. what the Data
API would serve) beside it.  ``python -m emulator.asleep.figure [path]``
rewrites ``docs/img/nights.svg``; tests/asleep/test_figure.py checks that the
committed picture is the current generator's.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Final

from emulator.asleep.night import DEEP, LIGHT, REM, WAKE, Night, final_night
from emulator.asleep.profiles import Profile
from emulator.asleep.stats import Stat, compute_stat
from emulator.core import lazy

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
else:
    np = lazy.module("numpy")

DEFAULT_PATH: Final = Path("docs/img/nights.svg")
START: Final = datetime(2025, 1, 15, 22, 0, tzinfo=UTC)
EPOCHS: Final = 960  # 8 hours


@dataclass(frozen=True, slots=True)
class Sample:
    """One night on the page."""

    profile: Profile
    seed: int
    age: float | None = None


SAMPLES: Final = (
    Sample(Profile.NORMAL, 1, 28.0),
    Sample(Profile.NORMAL, 2, 42.0),
    Sample(Profile.NORMAL, 3, 58.0),
    Sample(Profile.GOOD_SLEEPER, 4),
    Sample(Profile.GOOD_SLEEPER, 5),
    Sample(Profile.INSOMNIA, 6),
    Sample(Profile.INSOMNIA, 7),
    Sample(Profile.HEAVY_SNORER, 8),
    Sample(Profile.MILD_UNSTABLE_BREATHING, 9),
    Sample(Profile.MODERATE_UNSTABLE_BREATHING, 10),
    Sample(Profile.SEVERE_UNSTABLE_BREATHING, 11),
    Sample(Profile.NEVER_SLEPT, 12),
)

# Layout (px) and colours.
_LEFT: Final = 200
_PLOT_W: Final = EPOCHS
_LEVEL: Final = 13  # between stage levels
_PANEL_H: Final = 108
_TOP: Final = 56
_Y_BY_STAGE: Final = {WAKE: 0, REM: 1, LIGHT: 2, DEEP: 3}
_COLOUR: Final = {WAKE: "#e8a33d", REM: "#d6336c", LIGHT: "#74a9e0", DEEP: "#1f4e8c"}
_SNORING: Final = "#b8641b"
_UNSTABLE: Final = "#6f3fa0"
_STAGE_NAMES: Final = {WAKE: "Wake", REM: "REM", LIGHT: "Light", DEEP: "Deep"}


def _runs(values: npt.NDArray[np.int8]) -> list[tuple[int, int, int]]:
    """Maximal runs as (value, start, length)."""
    if not len(values):
        return []
    edges = np.flatnonzero(np.diff(values)) + 1
    starts = np.concatenate([[0], edges])
    ends = np.concatenate([edges, [len(values)]])
    return [(int(values[s]), int(s), int(e - s)) for s, e in zip(starts, ends, strict=True)]


def _hypnogram(night: Night, top: int) -> list[str]:
    """The step line and the coloured stage bars of one night."""
    parts: list[str] = []
    points: list[str] = []
    for stage, start, length in _runs(night.sleep):
        y = top + _Y_BY_STAGE[stage] * _LEVEL
        x0, x1 = _LEFT + start, _LEFT + start + length
        points += [f"{x0},{y}", f"{x1},{y}"]
        parts.append(
            f'<rect x="{x0}" y="{y - 2.5}" width="{length}" height="5" fill="{_COLOUR[stage]}"/>'
        )
    line = (
        f'<polyline points="{" ".join(points)}" fill="none" stroke="#8a8f98" stroke-width="0.7"/>'
    )
    return [line, *parts]


def _events(values: npt.NDArray[np.int8], y: float, colour: str) -> list[str]:
    return [
        f'<rect x="{_LEFT + start}" y="{y}" width="{length}" height="5" fill="{colour}"/>'
        for value, start, length in _runs(values)
        if value == 1
    ]


def _summary(stat: Stat | None) -> str:
    if stat is None or stat.never_slept:
        return "never slept: no sleep stage in 8 h"
    tst = stat.time_in_sleep // 60
    parts = [
        f"TST {tst // 60}h{tst % 60:02d}",
        f"SE {stat.sleep_efficiency:.2f}",
        f"REM latency {(stat.rem_latency or 0) // 60} min",
        f"{stat.waso_count} awakenings",
        f"deep {_share(stat.time_in_deep, stat.time_in_sleep)}",
        f"REM {_share(stat.time_in_rem, stat.time_in_sleep)}",
        f"breathing index {stat.breathing_index:.1f}/h",
        f"snoring {round(100 * (stat.snoring_ratio or 0))} %",
    ]
    return " · ".join(parts)


def _share(part: int | None, whole: int | None) -> str:
    return f"{round(100 * (part or 0) / whole)} %" if whole else "-"


def _panel(sample: Sample, index: int) -> list[str]:
    night = final_night(
        sample.seed, f"figure-{sample.seed}", sample.profile, EPOCHS, age=sample.age
    )
    stat = compute_stat(
        night.sleep,
        night.breath,
        night.snoring,
        START,
        START + timedelta(seconds=30 * EPOCHS),
        four_stage=True,
        breathing=True,
    )
    top = _TOP + index * _PANEL_H
    age = "" if sample.age is None else f", age {sample.age:g}"
    parts = [
        f'<text x="{_LEFT}" y="{top - 12}" class="title">{escape(sample.profile.value)}'
        f'<tspan class="muted"> (seed {sample.seed}{age})   {escape(_summary(stat))}</tspan></text>'
    ]
    for stage, level in _Y_BY_STAGE.items():
        parts.append(
            f'<text x="{_LEFT - 8}" y="{top + level * _LEVEL + 3.5}" class="axis" '
            f'text-anchor="end">{_STAGE_NAMES[stage]}</text>'
        )
    events_y = top + 3 * _LEVEL + 10
    parts += [
        f'<text x="{_LEFT - 8}" y="{events_y + 5}" class="small" text-anchor="end">snoring</text>',
        f'<text x="{_LEFT - 8}" y="{events_y + 15}" class="small" text-anchor="end">'
        "unstable breathing</text>",
        f'<rect x="{_LEFT}" y="{events_y}" width="{_PLOT_W}" height="5" fill="#f3f1ee"/>',
        f'<rect x="{_LEFT}" y="{events_y + 10}" width="{_PLOT_W}" height="5" fill="#f3f1ee"/>',
    ]
    parts += _hypnogram(night, top)
    parts += _events(night.snoring, events_y, _SNORING)
    parts += _events(night.breath, events_y + 10, _UNSTABLE)
    return parts


def _hour_grid(height: int) -> list[str]:
    parts = []
    for hour in range(9):
        x = _LEFT + hour * 120
        clock = (START + timedelta(hours=hour)).strftime("%H:%M")
        parts += [
            f'<line x1="{x}" y1="{_TOP - 8}" x2="{x}" y2="{height - 24}" stroke="#e6e6e6"/>',
            f'<text x="{x}" y="{height - 10}" class="axis" text-anchor="middle">{clock}</text>',
        ]
    return parts


def render(samples: tuple[Sample, ...] = SAMPLES) -> str:
    """The SVG page (deterministic: same generator, same bytes)."""
    height = _TOP + len(samples) * _PANEL_H + 10
    width = _LEFT + _PLOT_W + 20
    body = _hour_grid(height)
    for index, sample in enumerate(samples):
        body += _panel(sample, index)
    style = (
        "text{font-family:Helvetica,Arial,sans-serif;fill:#222}"
        ".title{font-size:12.5px;font-weight:bold}.muted{font-weight:normal;fill:#555}"
        ".axis{font-size:10px;fill:#555}.small{font-size:9px;fill:#555}"
    )
    header = (
        f'<text x="{_LEFT}" y="18" class="title">Synthetic 8-hour nights (30-s epochs) by '
        'profile<tspan class="muted"> - emulator.asleep; statistics as the Data API '
        "computes them</tspan></text>"
    )
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}">',
            f"<style>{style}</style>",
            f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
            header,
            *body,
            "</svg>",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else DEFAULT_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(), encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
