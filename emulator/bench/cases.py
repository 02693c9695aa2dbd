"""The benchmark cases. Each returns rows of medians over ``--runs`` repetitions."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx

from emulator.bench import flows, load, procs
from emulator.bench.progress import Skipped, step
from emulator.bench.report import Row, below, median


def cold_start(args: argparse.Namespace) -> list[Row]:
    """Process launch to the first 200 from /_emulator/health, against the bare app."""
    ours: list[float] = []
    theirs: list[float] = []
    # One discarded launch each: writes bytecode caches and warms the page cache, so
    # both sides are measured the way a CI job's second and later starts see them.
    for launch in (procs.emulator, procs.baseline):
        launch().stop()
    for run in range(args.runs):
        step(f"run {run + 1} of {args.runs}")
        for launch, into in ((procs.emulator, ours), (procs.baseline, theirs)):
            server = launch()
            into.append(server.seconds_to_200)
            server.stop()
    value, base = median(ours), median(theirs)
    return [
        Row(
            "cold_start",
            "launch to first 200",
            value,
            "s",
            baseline=base,
            target="<= 0.6 s and <= 1.5x",
            met=value <= 0.6 and value <= 1.5 * base,
            runs=args.runs,
        )
    ]


# --------------------------------------------------------------------------- helpers


# A case that cannot run on this machine (e.g. no load generator) raises this; the
# command reports it as skipped, with the reason.
Unavailable = Skipped


@contextmanager
def _baseline(body: bytes) -> Iterator[procs.Server]:
    """The bare app answering ``body`` to every request, stopped afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "body.json"
        path.write_bytes(body)
        base = procs.baseline(str(path))
        try:
            yield base
        finally:
            base.stop()


def _mb(value: int) -> float:
    return value / (1024 * 1024)


# --------------------------------------------------------------------------- get_session


CONNECTIONS = 16  # peak throughput: wrk -t1 -c16 on both sides
PACED_CONNECTIONS = 32  # half rate: wrk -t1 -c32 with a per-connection delay


def get_session(args: argparse.Namespace) -> list[Row]:
    """GET /data/v3/sessions/{id} of a completed 8-hour night under wrk, against the
    bare app answering the same bytes: peak requests/s, then p99 at half that rate."""
    load.require()
    emu = procs.emulator()
    try:
        with flows.client(emu.base_url) as http:
            user = flows.new_user(http)
            # 960 real uploads (tiny mel spectrograms): the night the emulator generates
            # for this session, with every epoch received.
            session_id, body = flows.replay_night(http, user, flows.tiny_melspectrogram())
        with _baseline(body) as base:
            return _get_session_load(args, emu, base, user, session_id, len(body))
    finally:
        emu.stop()


def _get_session_load(
    args: argparse.Namespace,
    emu: procs.Server,
    base: procs.Server,
    user: str,
    session_id: str,
    size: int,
) -> list[Row]:
    path = f"/data/v3/sessions/{session_id}"
    wrk = load.Sides(
        args.seconds,
        args.runs,
        {"x-api-key": flows.API_KEY, "x-user-id": user},
        {"emulator": emu.base_url + path, "baseline": base.base_url + path},
    )
    step("warm-up")
    for url in wrk.targets.values():  # warm-up: connections, caches, the rendered body
        load.run(url, headers=wrk.headers, seconds=1, connections=CONNECTIONS)
    peak = wrk.rounds("peak rate", lambda url: wrk.run(url, CONNECTIONS).requests_per_second)
    rate = median(peak["emulator"])
    delay_ms = wrk.half_rate_delay(rate, PACED_CONNECTIONS)
    paced = wrk.rounds("half rate", lambda url: wrk.run(url, PACED_CONNECTIONS, delay_ms))
    return _get_session_rows(args, size, rate, peak, paced)


def _get_session_rows(
    args: argparse.Namespace,
    size: int,
    rate: float,
    peak: dict[str, list[float]],
    paced: dict[str, list[load.LoadResult]],
) -> list[Row]:
    p99 = {side: median([r.p99_ms for r in results]) for side, results in paced.items()}
    achieved = median([r.requests_per_second for r in paced["emulator"]])
    return [
        Row(
            "get_session",
            f"requests/s ({CONNECTIONS} conns, {size:,} B body)",
            rate,
            "req/s",
            baseline=median(peak["baseline"]),
            target=">= 0.5x",
            met=rate >= 0.5 * median(peak["baseline"]),
            runs=args.runs,
        ),
        Row(
            "get_session",
            "paced rate (target: half of peak)",
            achieved,
            "req/s",
            baseline=median([r.requests_per_second for r in paced["baseline"]]),
            runs=args.runs,
        ),
        below(
            "get_session",
            f"p99 latency at half rate ({PACED_CONNECTIONS} conns)",
            p99["emulator"],
            "ms",
            10,
            baseline=p99["baseline"],
            runs=args.runs,
        ),
    ]


# --------------------------------------------------------------------------- night_replay


def night_replay(args: argparse.Namespace) -> list[Row]:
    """A whole 8-hour night from one client: 960 uploads of 30-s 16 kHz WAV chunks to an
    AUDIO session, close, read back; the same requests against the bare app."""
    chunk = flows.speech_wav(flows.EPOCH_SECONDS, 16000)
    emu = procs.emulator()
    try:
        ours: list[float] = []
        with flows.client(emu.base_url) as http:
            user = flows.new_user(http)
            # Warm-up (discarded): the first upload loads the audio checks' libraries.
            flows.replay_night(http, user, chunk, epochs=2, inference_type="AUDIO")
            for run in range(args.runs):
                step(f"emulator, night {run + 1} of {args.runs}")
                started = time.perf_counter()
                _, body = flows.replay_night(
                    http, user, chunk, start=flows.night_start(run + 1), inference_type="AUDIO"
                )
                ours.append(time.perf_counter() - started)
    finally:
        emu.stop()
    theirs: list[float] = []
    with _baseline(body) as base, flows.client(base.base_url) as http:
        _raw_replay(http, chunk, epochs=2)
        for run in range(args.runs):
            step(f"baseline, night {run + 1} of {args.runs}")
            started = time.perf_counter()
            _raw_replay(http, chunk, epochs=flows.NIGHT_EPOCHS)
            theirs.append(time.perf_counter() - started)
    value = median(ours)
    return [
        below(
            "night_replay",
            "960 x 30 s WAV uploads + close + GET",
            value,
            "s",
            5,
            baseline=median(theirs),
            runs=args.runs,
        )
    ]


def _raw_replay(http: httpx.Client, chunk: bytes, *, epochs: int) -> None:
    """The requests of ``flows.replay_night``, for the baseline (which parses nothing)."""
    user = {"x-user-id": "G-bench"}
    http.post("/ai/v1/sessions", headers=user, json={"inference_type": "AUDIO"})
    for seq_num in range(epochs):
        http.post(
            "/ai/v1/sessions/s/upload",
            headers=user,
            data={"seq_num": str(seq_num)},
            files={"file": ("chunk.wav", chunk, "application/octet-stream")},
        ).raise_for_status()
    http.post("/ai/v1/sessions/s/close", headers=user).raise_for_status()
    http.get("/data/v3/sessions/s", headers=user).raise_for_status()


# --------------------------------------------------------------------------- kintsugi


def kintsugi_v1_predict(args: argparse.Namespace) -> list[Row]:
    """Kintsugi v1 prediction of a 60-s 44.1 kHz speech-like WAV (passes the default
    guardrails): per run an initiate, then the timed predict request. The request runs
    the trained voice detector over the first 30 s of voice (docs/voice.md)."""
    audio = flows.speech_wav(60, 44100)
    emu = procs.emulator()
    try:
        ours: list[float] = []
        with flows.client(emu.base_url) as http:
            # Warm-up (discarded): the first prediction loads the audio checks' libraries
            # and the voice detector, should the server's own warm-up not be done yet.
            answer = flows.kintsugi_predict_v1(
                http, flows.kintsugi_initiate_v1(http, "bench-warm-up"), audio
            ).content
            for run in range(args.runs):
                session_id = flows.kintsugi_initiate_v1(http, f"bench-{run}")
                started = time.perf_counter()
                flows.kintsugi_predict_v1(http, session_id, audio)
                ours.append(time.perf_counter() - started)
    finally:
        emu.stop()
    theirs: list[float] = []
    with _baseline(answer) as base, flows.client(base.base_url) as http:
        for _ in range(args.runs + 1):
            started = time.perf_counter()
            http.post(
                "/v1/predict/server/depression/binary",
                data={"session_id": "s"},
                files={"file": ("recording.wav", audio, "audio/wav")},
            ).raise_for_status()
            theirs.append(time.perf_counter() - started)
    value = median(ours) * 1000
    return [
        below(
            "kintsugi_v1_predict",
            f"predict, 60 s 44.1 kHz WAV ({len(audio) / 1e6:.1f} MB)",
            value,
            "ms",
            150,
            baseline=median(theirs[1:]) * 1000,  # the first request warmed the connection
            runs=args.runs,
        )
    ]


# --------------------------------------------------------------------------- memory


NIGHTS_PER_USER = 100
LOADERS = 4


def memory(args: argparse.Namespace) -> list[Row]:
    """RSS of a fresh emulator holding ``--nights`` completed 8-hour nights (each read
    once through the Data API), against the bare app's RSS."""
    ours: list[float] = []
    theirs: list[float] = []
    hypnogram = flows.hypnogram_body()
    for run in range(args.runs):
        step(f"run {run + 1} of {args.runs}: storing {args.nights:,} nights")
        emu = procs.emulator()
        base = procs.baseline()
        try:
            started = time.perf_counter()
            with ThreadPoolExecutor(LOADERS) as pool:
                loaders = [
                    pool.submit(_load_nights, emu.base_url, hypnogram, loader, args.nights)
                    for loader in range(LOADERS)
                ]
                done = sum(f.result() for f in loaders)
            if done != args.nights:
                raise RuntimeError(f"stored {done} nights of {args.nights}")
            print(
                f"  memory: {done:,} nights stored in {time.perf_counter() - started:.1f} s",
                file=sys.stderr,
                flush=True,
            )
            ours.append(_mb(emu.rss_bytes()))
            theirs.append(_mb(base.rss_bytes()))
        finally:
            emu.stop()
            base.stop()
    value = median(ours)
    return [
        below(
            "memory",
            f"RSS with {args.nights:,} completed nights",
            value,
            "MB",
            300,
            baseline=median(theirs),
            runs=args.runs,
        )
    ]


def _load_nights(base_url: str, hypnogram: bytes, loader: int, nights: int) -> int:
    """Every ``LOADERS``-th night from ``loader``: users of 100 nights, each night
    completed (create, hypnogram, close) and read once (GET v3)."""
    stored = 0
    with flows.client(base_url) as http:
        user = ""
        for index in range(len(range(loader, nights, LOADERS))):
            if index % NIGHTS_PER_USER == 0:
                user = flows.new_user(http)
            start = flows.night_start(index % NIGHTS_PER_USER)
            session_id = flows.injected_night(http, user, hypnogram, start=start)
            flows.get_session(http, user, session_id)
            stored += 1
    return stored
