from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.core.lifecycle import Progress, ProgressionPolicy


def test_immediate_is_done_at_once() -> None:
    assert Progress(0.0).observe(ProgressionPolicy("immediate"), 0.0)


def test_polls_mode_shows_processing_for_that_many_looks() -> None:
    policy = ProgressionPolicy("polls", polls=2)
    p = Progress(0.0)
    assert [p.observe(policy, 0.0) for _ in range(4)] == [False, False, True, True]


def test_seconds_mode_follows_the_clock() -> None:
    policy = ProgressionPolicy("seconds", seconds=30)
    p = Progress(100.0)
    assert not p.observe(policy, 129.9)
    assert p.observe(policy, 130.0)


def test_manual_waits_for_force() -> None:
    policy = ProgressionPolicy("manual")
    p = Progress(0.0)
    assert not any(p.observe(policy, t) for t in range(100))
    p.force()
    assert p.observe(policy, 0.0)


def test_invalid_policies_are_refused() -> None:
    with pytest.raises(ValueError, match="mode"):
        ProgressionPolicy("sometimes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="negative"):
        ProgressionPolicy("polls", polls=-1)


@given(polls=st.integers(0, 20), looks=st.integers(0, 40))
def test_once_done_always_done(polls: int, looks: int) -> None:
    policy = ProgressionPolicy("polls", polls=polls)
    p = Progress(0.0)
    seen = [p.observe(policy, 0.0) for _ in range(looks)]
    assert seen == sorted(seen)
    assert sum(1 for s in seen if not s) == min(polls, looks)
    assert Progress.from_json(p.to_json()) == p
