"""Memory: 10,000 recorded 8-hour nights must fit in under 300 MB.

Chunks are never kept; a session keeps a bitmap of its seq_nums and, once complete,
three ``int8`` stage arrays. Nights are recorded through the model layer with a full
bitmap (960 uploads each would only make the test slow, not the state larger).
"""

from __future__ import annotations

import tracemalloc

import pytest

from emulator.asleep import analysis
from emulator.asleep.rules import Rules
from emulator.asleep.settings import AsleepPlan
from emulator.asleep.state import AsleepState
from emulator.core.store import Store
from emulator.settings import AsleepSettings

T0 = 1_736_900_000
BUDGET_BYTES = 300 * 1024 * 1024
NIGHTS = 10_000


def _record(nights: int, *, read: bool) -> tuple[AsleepState, int]:
    """Record ``nights`` complete 8-hour nights; bytes the state grew by."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        state = AsleepState(Store(seed=3).namespace("t"))
        rules = Rules(3, "t", AsleepPlan(), AsleepSettings())
        users = [state.create_user(rules, T0, None) for _ in range(max(1, nights // 10))]
        for i in range(nights):
            session = state.create_session(
                rules,
                T0 + i,
                users[i % len(users)],
                start_time=T0 + i * 8640,
                created_timezone="UTC",
                service="NOSERVICE",
                inference_type="MELSPECTROGRAM",
                callback_url=None,
                callback_version=None,
            )
            session.received = bytearray(b"\xff" * 120)  # seq 0..959 all received
            session.received_count, session.last_received_seq_num = 960, 959
            state.close(rules, T0 + i, session, end_time=None, unexpected=False, callback_url=None)
            if read:
                analysis.read(state, rules, session)  # memoises the stat as well
        state.drain()
        used = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    return state, used


def test_a_night_costs_well_under_its_share() -> None:
    state, used = _record(200, read=True)
    per_night = used / 200
    print(f"\n[asleep memory] {per_night / 1024:.1f} KiB per complete, read 8-hour night")
    assert len(state.sessions) == 200
    assert per_night * NIGHTS < BUDGET_BYTES / 2


@pytest.mark.slow
def test_ten_thousand_nights_fit() -> None:
    state, used = _record(NIGHTS, read=False)
    print(f"\n[asleep memory] {NIGHTS} complete 8-hour nights: {used / 2**20:.1f} MiB")
    assert len(state.sessions) == NIGHTS
    assert used < BUDGET_BYTES
