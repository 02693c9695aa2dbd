"""Progress lines: start, heartbeat with the latest step, and how each case ended."""

from __future__ import annotations

import io
import threading

import pytest

from emulator.bench.progress import Progress, Skipped


def lines(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def test_a_case_says_when_it_starts_and_finishes() -> None:
    out = io.StringIO()
    ticks = iter([100.0, 112.34])
    with Progress(out, clock=lambda: next(ticks)).case("cold_start"):
        pass
    assert lines(out) == ["bench: cold_start: started", "bench: cold_start: finished in 12.3 s"]


def test_heartbeats_carry_the_latest_step_while_a_case_runs() -> None:
    out = io.StringIO()
    progress = Progress(out, heartbeat=0.01)
    beaten = threading.Event()

    def watch() -> None:
        while "(run 2 of 5)" not in out.getvalue():
            threading.Event().wait(0.005)
        beaten.set()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    with progress.case("memory"):
        progress.step("run 2 of 5")
        assert beaten.wait(30)
    heartbeat = next(line for line in lines(out) if "(run 2 of 5)" in line)
    assert heartbeat.startswith("bench: memory: still running, ")
    assert heartbeat.endswith(" s (run 2 of 5)")
    assert lines(out)[-1].startswith("bench: memory: finished in ")


def test_a_skipped_case_says_why_and_a_failed_one_says_so() -> None:
    out = io.StringIO()
    progress = Progress(out)
    with pytest.raises(Skipped), progress.case("get_session"):
        raise Skipped("wrk is not installed")
    with pytest.raises(ZeroDivisionError), progress.case("night_replay"):
        _ = 1 / 0
    ended = [line for line in lines(out) if "started" not in line]
    assert ended[0].startswith("bench: get_session: skipped in ")
    assert ended[0].endswith(" s: wrk is not installed")
    assert ended[1].startswith("bench: night_replay: failed in ")
