"""Progress lines on stderr while the benchmark runs, so a long case never looks hung.

A line when a case starts, one when it ends (finished, skipped or failed) with its
elapsed time, and in between a heartbeat at most every ``HEARTBEAT_SECONDS`` that
carries the case's latest step: cases call ``step("run 2 of 5")`` as they go.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Final, TextIO

HEARTBEAT_SECONDS: Final = 10.0


class Skipped(RuntimeError):
    """A case cannot run on this machine (e.g. no load generator); it is reported."""


class Progress:
    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        heartbeat: float = HEARTBEAT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._heartbeat = heartbeat
        self._clock = clock
        self._step = ""
        self._lock = threading.Lock()

    def say(self, text: str) -> None:
        stream = self._stream or sys.stderr
        with self._lock:
            print(f"bench: {text}", file=stream, flush=True)

    def step(self, text: str) -> None:
        """What the running case is doing now (shown by the next heartbeat)."""
        self._step = text

    @contextmanager
    def case(self, name: str) -> Iterator[None]:
        """Announce ``name``, beat while it runs, and report how it ended."""
        self._step = ""
        started = self._clock()
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(self._heartbeat):
                step = f" ({self._step})" if self._step else ""
                self.say(f"{name}: still running, {self._clock() - started:.0f} s{step}")

        self.say(f"{name}: started")
        beater = threading.Thread(target=beat, name=f"bench-{name}-heartbeat", daemon=True)
        beater.start()
        outcome, reason = "failed", ""
        try:
            yield
            outcome = "finished"
        except Skipped as exc:
            outcome, reason = "skipped", f": {exc}"
            raise
        finally:
            stop.set()
            beater.join()
            self.say(f"{name}: {outcome} in {self._clock() - started:.1f} s{reason}")


_PROGRESS = Progress()


def current() -> Progress:
    return _PROGRESS


def step(text: str) -> None:
    """Report the running case's step (``emulator.bench.cases`` calls this)."""
    _PROGRESS.step(text)
