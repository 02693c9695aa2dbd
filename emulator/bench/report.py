"""Benchmark results: one row per measured figure, printed as a table and saved as JSON."""

from __future__ import annotations

import json
import os
import platform
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Row:
    case: str
    metric: str
    value: float
    unit: str
    baseline: float | None = None
    target: str = ""
    met: bool | None = None
    runs: int = 1

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        assert self.baseline is not None
        return self.value / self.baseline


def below(
    case: str, metric: str, value: float, unit: str, limit: int, *, baseline: float, runs: int
) -> Row:
    """A row whose target is a ``value`` under ``limit`` (in ``unit``)."""
    target = f"< {limit} {unit}"
    return Row(case, metric, value, unit, baseline, target, value < limit, runs)


def median(values: list[float]) -> float:
    return statistics.median(values)


def table(rows: list[Row]) -> str:
    header = ("case", "metric", "median", "baseline", "ratio", "target", "met", "runs")
    lines = [header]
    for r in rows:
        lines.append(
            (
                r.case,
                r.metric,
                f"{r.value:,.3f} {r.unit}",
                "" if r.baseline is None else f"{r.baseline:,.3f} {r.unit}",
                "" if r.ratio is None else f"{r.ratio:.2f}x",
                r.target,
                "" if r.met is None else ("yes" if r.met else "NO"),
                str(r.runs),
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for n, line in enumerate(lines):
        out.append("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def save(
    rows: list[Row],
    path: str | Path,
    *,
    interference: dict[str, dict[str, float]] | None = None,
    skipped: dict[str, str] | None = None,
) -> None:
    machine: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }
    if interference is not None:
        # Per case: others' and the hypervisor's share of all CPUs while it ran
        # (emulator.bench.interference).
        machine["interference"] = interference
    doc: dict[str, Any] = {
        "machine": machine,
        "rows": [{**asdict(r), "ratio": r.ratio} for r in rows],
        # Cases this machine could not run, with the reason (e.g. no wrk).
        "skipped": skipped or {},
    }
    Path(path).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
