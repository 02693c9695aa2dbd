"""The benchmark cases. Each returns rows of medians over ``--runs`` repetitions."""

from __future__ import annotations

import argparse

from emulator.bench import procs
from emulator.bench.report import Row, median


def cold_start(args: argparse.Namespace) -> list[Row]:
    """Process launch to the first 200 from /_emulator/health, against the bare app."""
    ours: list[float] = []
    theirs: list[float] = []
    # One discarded launch each: writes bytecode caches and warms the page cache, so
    # both sides are measured the way a CI job's second and later starts see them.
    for launch in (procs.emulator, procs.baseline):
        launch().stop()
    for _ in range(args.runs):
        for launch, into in ((procs.emulator, ours), (procs.baseline, theirs)):
            server = launch()
            into.append(server.seconds_to_200)
            server.stop()
    value, base = median(ours), median(theirs)
    return [
        Row(
            "cold_start",
            "launch to first 200",
            value,
            "s",
            baseline=base,
            target="<= 0.6 s and <= 1.5x",
            met=value <= 0.6 and value <= 1.5 * base,
            runs=args.runs,
        )
    ]
