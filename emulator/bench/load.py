"""HTTP load with wrk (Debian package ``wrk``): throughput and latency percentiles.

wrk has no fixed-rate mode, so a "half of the peak rate" run paces each connection with
wrk's Lua ``delay()`` hook: C connections each waiting D ms (on average) between
requests give about C * 1000 / (D + latency) requests per second.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from emulator.bench.progress import Skipped, step

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}
M = TypeVar("M")


@dataclass(frozen=True)
class LoadResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


def available() -> bool:
    return shutil.which("wrk") is not None


def require() -> None:
    """Skip the case (``Skipped``, with how to install wrk) where wrk is missing."""
    if not available():
        raise Skipped("wrk is not installed (Debian/Ubuntu: apt-get install wrk)")


def run(
    url: str,
    *,
    headers: dict[str, str],
    seconds: float,
    connections: int,
    threads: int = 1,
    delay_ms: float | None = None,
) -> LoadResult:
    script = "".join(f'wrk.headers["{k}"] = "{v}"\n' for k, v in headers.items())
    if delay_ms is not None:
        # Each wait is drawn uniformly from 0.5-1.5x the mean, so the connections do not
        # fire in step: wrk's timers tick in whole milliseconds and a fixed delay lines
        # every connection up on the same tick, a burst no real set of clients makes.
        # The + 0.5 undoes the truncation of the drawn value to whole milliseconds.
        script += f"function delay() return {delay_ms:.3f} * (0.5 + math.random()) + 0.5 end\n"
    script += (
        "function done(summary, latency, requests)\n"
        '  io.write(string.format("ERRORS %d\\n", summary.errors.connect + summary.errors.read'
        " + summary.errors.write + summary.errors.status + summary.errors.timeout))\n"
        "end\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        lua = Path(tmp) / "bench.lua"
        lua.write_text(script)
        out = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{max(int(seconds), 1)}s",
                "--latency",
                "-s",
                str(lua),
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    return _parse(out)


@dataclass(frozen=True)
class Sides:
    """wrk runs of ``seconds`` against each side (``targets``: side -> URL, the emulator
    first), with the same headers, ``runs`` rounds at a time."""

    seconds: float
    runs: int
    headers: dict[str, str]
    targets: dict[str, str]

    def run(self, url: str, connections: int, delay_ms: float | None = None) -> LoadResult:
        """One run against ``url``; RuntimeError if any request failed."""
        result = run(
            url,
            headers=self.headers,
            seconds=self.seconds,
            connections=connections,
            delay_ms=delay_ms,
        )
        if result.errors:
            raise RuntimeError(f"{result.errors} failed requests of {result.requests} to {url}")
        return result

    def rounds(self, what: str, measure: Callable[[str], M]) -> dict[str, list[M]]:
        """``runs`` rounds of ``measure`` on each side, the sides taking turns."""
        out: dict[str, list[M]] = {side: [] for side in self.targets}
        for n in range(self.runs):
            step(f"{what}, run {n + 1} of {self.runs}")
            for side, url in self.targets.items():
                out[side].append(measure(url))
        return out

    def half_rate_delay(self, rate: float, connections: int) -> float:
        """The per-connection wait that paces ``connections`` at half ``rate``.

        C connections each waiting D ms between requests send C * 1000 / (D + L) req/s,
        L being a request's own time on its connection (taken from one short calibration
        run against the emulator). wrk's timers tick in whole milliseconds, so 16
        connections with ~4 ms waits pace coarsely; 32 with ~8 ms (randomised, see
        ``run``) land within ~5% of half.
        """
        delay_ms = connections * 1000 / (rate / 2)
        probe = run(
            next(iter(self.targets.values())),
            headers=self.headers,
            seconds=min(self.seconds, 2),
            connections=connections,
            delay_ms=delay_ms,
        )
        return max(delay_ms - probe.p50_ms, 0.0)


def _parse(out: str) -> LoadResult:
    def latency(label: str) -> float:
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        if match is None:
            raise ValueError(f"no {label}% latency in wrk output:\n{out}")
        return float(match.group(1)) * _UNITS[match.group(2)]

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    errors = re.search(r"ERRORS (\d+)", out)
    if rps is None or total is None:
        raise ValueError(f"unexpected wrk output:\n{out}")
    return LoadResult(
        requests_per_second=float(rps.group(1)),
        p50_ms=latency("50"),
        p99_ms=latency("99"),
        requests=int(total.group(1)),
        errors=int(errors.group(1)) if errors else 0,
    )
