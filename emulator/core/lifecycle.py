"""Progression of asynchronous work (moto's state-transition idea, made per job).

Kintsugi v2 predictions and Asleep CLOSED -> COMPLETE are server-side steps. A
``ProgressionPolicy`` says when such a step is done: at once (``immediate``), after
the client has looked ``polls`` times (``polls``), once ``seconds`` have passed on the
virtual clock (``seconds``), or only when told (``manual``, ``POST /_emulator/advance``).
A ``Progress`` record is the per-job state, JSON-able so it persists with its entity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Mode = Literal["immediate", "polls", "seconds", "manual"]
MODES: tuple[Mode, ...] = ("immediate", "polls", "seconds", "manual")


@dataclass(frozen=True, slots=True)
class ProgressionPolicy:
    mode: Mode = "immediate"
    polls: int = 1
    seconds: float = 0.0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"progression mode must be one of {', '.join(MODES)}")
        if self.polls < 0 or self.seconds < 0:
            raise ValueError("progression polls and seconds must not be negative")

    def to_json(self) -> dict[str, Any]:
        return {"mode": self.mode, "polls": self.polls, "seconds": self.seconds}


@dataclass(slots=True)
class Progress:
    """How far one job has come: when it started, how often it was looked at, forced."""

    started_at: float
    polls: int = 0
    forced: bool = False

    def done(self, policy: ProgressionPolicy, now: float) -> bool:
        """Whether the job is finished, without counting a look."""
        if self.forced or policy.mode == "immediate":
            return True
        if policy.mode == "polls":
            return self.polls >= policy.polls
        if policy.mode == "seconds":
            return now - self.started_at >= policy.seconds
        return False

    def observe(self, policy: ProgressionPolicy, now: float) -> bool:
        """A client looked: say whether it sees the job finished, then count the look.

        With ``polls=1`` the first look sees ``processing`` and the second the result,
        which is what the vendor's SDK README loop expects (kintsugi-api.md §6.6).
        """
        finished = self.done(policy, now)
        if not finished:
            self.polls += 1
        return finished

    def force(self) -> None:
        self.forced = True

    def to_json(self) -> dict[str, Any]:
        return {"started_at": self.started_at, "polls": self.polls, "forced": self.forced}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Progress:
        return cls(float(data["started_at"]), int(data["polls"]), bool(data["forced"]))
