"""How recordings are screened off the event loop (``kintsugi.screening``): spooled
(memory-mapped) recordings one at a time, waiting in the event loop rather than in the
thread pool every other request's work runs in."""

from __future__ import annotations

import threading

import anyio

from emulator.kintsugi.outcomes import NO_OUTCOME, Outcome
from emulator.kintsugi.screening import limiter_for

SPOOLED = memoryview(b"\0" * 16)
# More than anyio's default pool of 40 worker threads.
QUEUED = 45


def test_only_a_spooled_recording_that_will_be_read_waits_for_its_turn() -> None:
    async def main() -> None:
        assert limiter_for(b"small", NO_OUTCOME) is None
        assert limiter_for(SPOOLED, Outcome(error="insufficient_audio_length")) is None
        one = limiter_for(SPOOLED, NO_OUTCOME)
        assert one is not None
        assert one.total_tokens == 1
        assert limiter_for(SPOOLED, NO_OUTCOME) is one  # one per event loop

    anyio.run(main)


def test_queued_spooled_recordings_leave_the_thread_pool_free() -> None:
    release = threading.Event()
    running: list[int] = []
    most = [0]
    lock = threading.Lock()

    def screen() -> None:
        with lock:
            running.append(1)
            most[0] = max(most[0], len(running))
        release.wait(30)
        with lock:
            running.pop()

    async def main() -> None:
        limiter = limiter_for(SPOOLED, NO_OUTCOME)
        async with anyio.create_task_group() as tasks:
            for _ in range(QUEUED):
                tasks.start_soon(lambda: anyio.to_thread.run_sync(screen, limiter=limiter))
            await anyio.sleep(0.05)  # let them all queue
            # Another request's thread-pool work is served while the queue waits; were
            # the waiting done in worker threads, all 40 would be taken and this would hang.
            with anyio.fail_after(10):
                assert await anyio.to_thread.run_sync(lambda: "served") == "served"
            release.set()

    anyio.run(main)
    assert most[0] == 1
