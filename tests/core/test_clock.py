from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from emulator.core.clock import Clock, parse_instant


def test_frozen_clock_stands_still_and_moves_only_when_told() -> None:
    start = datetime(2025, 1, 15, 2, 50, 29, tzinfo=UTC)
    clock = Clock(start, frozen=True)
    assert clock.now() == start
    assert clock.now() == start
    clock.advance(90)
    assert clock.now() == start + timedelta(seconds=90)
    clock.set(start)
    assert clock.now() == start


def test_running_clock_starts_at_the_given_instant() -> None:
    start = datetime(2030, 6, 1, tzinfo=UTC)
    clock = Clock(start)
    assert abs((clock.now() - start).total_seconds()) < 5
    clock.freeze()
    frozen = clock.now()
    clock.resume()
    assert clock.now() >= frozen


def test_clock_refuses_naive_instants_and_going_back() -> None:
    clock = Clock()
    with pytest.raises(ValueError, match="timezone"):
        clock.set(datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)


def test_parse_instant_accepts_z_and_naive_as_utc() -> None:
    assert parse_instant("2025-01-15T02:50:29Z") == datetime(2025, 1, 15, 2, 50, 29, tzinfo=UTC)
    assert parse_instant("2025-01-15T02:50:29") == datetime(2025, 1, 15, 2, 50, 29, tzinfo=UTC)
