"""How much of the machine others took while a case ran (Linux).

A benchmark on a shared machine measures its neighbours too. Around each case this
reads the CPU counters of ``/proc/stat`` and subtracts what the benchmark and the
children it waited for (servers, wrk) used (``os.times``). What is left, as a share
of all CPUs over the case's wall time, is split in two:

* ``others``: other processes, plus kernel work no process is charged for (the
  loopback traffic's softirq time lands here: a few percent under load);
* ``steal``: time the hypervisor gave this virtual machine's CPUs to someone else.
  On the 2-core VMs this was developed on it reached ~50% at times, halving every
  throughput figure on both sides of a ratio and spiking every latency.

The command prints both per case and warns when together they pass ``WARN_SHARE``.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

WARN_SHARE = 0.10


@dataclass(frozen=True)
class Mark:
    wall: float
    busy: float  # CPU seconds, all CPUs together, not idle and not stolen (0 off Linux)
    steal: float  # CPU seconds the hypervisor took
    ours: float  # CPU seconds used by this process and its reaped children


@dataclass(frozen=True)
class Share:
    others: float
    steal: float

    @property
    def total(self) -> float:
        return self.others + self.steal


def _counters() -> tuple[float, float]:
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return 0.0, 0.0
    # user nice system idle iowait irq softirq steal (guest time is inside user).
    ticks = [int(v) for v in fields[:8]] + [0] * (8 - len(fields[:8]))
    busy = ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6]
    hz = os.sysconf("SC_CLK_TCK")
    return busy / hz, ticks[7] / hz


def _ours() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def mark() -> Mark:
    busy, steal = _counters()
    return Mark(time.monotonic(), busy, steal, _ours())


def share(start: Mark, end: Mark) -> Share | None:
    """Others' CPU time and stolen time, each as a share of all CPUs over the interval;
    None where ``/proc/stat`` cannot be read."""
    wall = end.wall - start.wall
    capacity = wall * (os.cpu_count() or 1)
    if capacity <= 0 or start.busy == 0.0:
        return None
    others = (end.busy - start.busy) - (end.ours - start.ours)
    return Share(
        others=min(max(others, 0.0) / capacity, 1.0),
        steal=min(max(end.steal - start.steal, 0.0) / capacity, 1.0),
    )
