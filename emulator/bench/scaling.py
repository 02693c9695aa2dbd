"""The ``get_session_scaling`` case: one world in memory, on Redis, on Redis with 2 workers.

``GET /data/v3/sessions/{id}`` of a completed 8-hour night (as ``get_session``), side
by side in one run against three servers: one process with the default in-memory
store; one process with ``--state-url`` (every request first asks Redis what changed,
emulator.core.shared); ``--workers 2`` on the same Redis. Peak requests/s (wrk, 16
connections) and p99 at half of each side's own peak. Goals (issue 16): one process on
Redis at least half as fast as in memory; two workers faster than one on a 2-core
machine. Needs ``wrk`` and ``redis-server`` (Debian packages of those names).
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

from emulator.bench import flows, load, procs
from emulator.bench.cases import CONNECTIONS, PACED_CONNECTIONS, Unavailable
from emulator.bench.report import Row, median


@contextmanager
def redis_server() -> Iterator[str]:
    """A throwaway ``redis-server`` on a free loopback port, saving nothing; its URL."""
    binary = shutil.which("redis-server") or shutil.which("valkey-server")
    if binary is None:
        raise Unavailable("redis-server is not installed (apt-get install redis-server)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--dir", tmp],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise RuntimeError("redis-server did not start") from None
                    time.sleep(0.02)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def get_session_scaling(args: argparse.Namespace) -> list[Row]:
    load.require()
    with redis_server() as url:
        sides = {
            "memory, 1 process": (),
            "redis, 1 process": ("--state-url", url),
            "redis, 2 workers": ("--state-url", url, "--workers", "2"),
        }
        figures: dict[str, tuple[float, float]] = {}
        for side, extra in sides.items():
            server = procs.emulator(*extra)
            try:
                figures[side] = _measure(args, server)
            finally:
                server.stop()
    return _rows(args, figures)


def _measure(args: argparse.Namespace, server: procs.Server) -> tuple[float, float]:
    """(peak requests/s, p99 ms at half of it) for one completed night's GET."""
    with flows.client(server.base_url) as http:
        user = flows.new_user(http)
        session_id, _ = flows.replay_night(http, user, flows.tiny_melspectrogram())
    headers = {"x-api-key": flows.API_KEY, "x-user-id": user}
    url = f"{server.base_url}/data/v3/sessions/{session_id}"
    load.run(url, headers=headers, seconds=1, connections=CONNECTIONS)  # warm-up
    peaks = []
    for _ in range(args.runs):
        result = load.run(url, headers=headers, seconds=args.seconds, connections=CONNECTIONS)
        if result.errors:
            raise RuntimeError(f"{result.errors} failed requests of {result.requests} to {url}")
        peaks.append(result.requests_per_second)
    rate = median(peaks)
    delay_ms = PACED_CONNECTIONS * 1000 / (rate / 2)
    probe = load.run(
        url, headers=headers, seconds=2, connections=PACED_CONNECTIONS, delay_ms=delay_ms
    )
    delay_ms = max(delay_ms - probe.p50_ms, 0.0)
    p99 = [
        load.run(
            url,
            headers=headers,
            seconds=args.seconds,
            connections=PACED_CONNECTIONS,
            delay_ms=delay_ms,
        ).p99_ms
        for _ in range(args.runs)
    ]
    return rate, median(p99)


def _rows(args: argparse.Namespace, figures: dict[str, tuple[float, float]]) -> list[Row]:
    memory, one, two = (figures[k] for k in figures)
    case = "get_session_scaling"
    metric = f"requests/s ({CONNECTIONS} conns)"
    latency = f"p99 at half rate ({PACED_CONNECTIONS} conns)"
    return [
        Row(case, f"{metric}, memory, 1 process", memory[0], "req/s", runs=args.runs),
        Row(
            case,
            f"{metric}, redis, 1 process (vs memory)",
            one[0],
            "req/s",
            baseline=memory[0],
            target=">= 0.5x",
            met=one[0] >= 0.5 * memory[0],
            runs=args.runs,
        ),
        Row(
            case,
            f"{metric}, redis, 2 workers (vs redis, 1)",
            two[0],
            "req/s",
            baseline=one[0],
            target="> 1x",
            met=two[0] > one[0],
            runs=args.runs,
        ),
        Row(case, f"{latency}, memory, 1 process", memory[1], "ms", runs=args.runs),
        Row(case, f"{latency}, redis, 1 process", one[1], "ms", baseline=memory[1], runs=args.runs),
        Row(case, f"{latency}, redis, 2 workers", two[1], "ms", baseline=memory[1], runs=args.runs),
    ]
