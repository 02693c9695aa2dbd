"""64 concurrent clients on both vendors for a bounded time: no 5xx, nothing acknowledged
lost, memory flat once warmed up.

Each client owns an API key (tenants are isolated, so clients never race on the same
records) and runs whole conversations in a loop, checking each one through the read
side before starting the next:

* Asleep (32 clients): user, session (MELSPECTROGRAM, or AUDIO with real 30-s WAV
  chunks one time in eight), 5-50 uploads in random order with gaps and SDK-style
  retries, close, ``GET /data/v3/sessions/{id}``: exactly the acknowledged ``seq_num``
  have stages, every other epoch is ``-1``; the session is listed by
  ``/data/v1/sessions``; then the user is deleted (the vendor API's own cleanup).
* Kintsugi v1 (16 clients): initiate, predict, feedback; the control API's session
  list shows the prediction and the feedback.
* Kintsugi v2 (16 clients): initiate, predict (202), poll until ``success``,
  feedback; ``/v2/predict/users/{user_id}`` lists the finished prediction.

Kintsugi clients reset their key after each checked conversation, so what the server
holds stays bounded and its resident memory must stop growing after the warm-up
(compared at the middle and at the end of the run).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from emulator.bench import flows
from tests.reliability.conftest import Launch, Live, mb

pytestmark = [pytest.mark.reliability, pytest.mark.e2e]

CLIENTS = 64
SECONDS = float(os.environ.get("RELIABILITY_SECONDS", "24"))
# RSS may still move a little once warm (allocator arenas, the bounded journal and
# caches filling up); a leak of even a few KB per conversation is far above this.
GROWTH_TOLERANCE = 16 * 1024 * 1024
MIN_VOICE = "kintsugi.min_voice_seconds=1"


@dataclass
class Tally:
    """What the clients did and saw."""

    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    uploads: int = 0
    predictions: int = 0
    conversations: Counter[str] = field(default_factory=Counter)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())


class Client:
    """One HTTP connection with its own API key, counting every answer."""

    def __init__(
        self,
        base_url: str,
        key: str,
        tally: Tally,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.http = httpx.AsyncClient(
            base_url=base_url,
            headers={"x-api-key": key},
            timeout=60,
            limits=httpx.Limits(max_connections=1),
            verify=False,  # plain HTTP on loopback: skip loading the CA bundle
            transport=transport,
        )
        self.key = key
        self.tally = tally

    async def call(self, method: str, path: str, *expected: int, **kwargs: Any) -> httpx.Response:
        response = await self.http.request(method, path, **kwargs)
        self.tally.statuses[response.status_code] += 1
        line = f"{method} {path} -> {response.status_code} {response.text[:200]}"
        if response.status_code >= 500:
            self.tally.server_errors.append(line)
        elif response.status_code not in expected:
            self.tally.unexpected.append(line)
        return response


def _small_wav() -> bytes:
    return flows.speech_wav(3, 16000, seed=3)


async def asleep_client(
    c: Client, rng: random.Random, deadline: float, npy: bytes, wav: bytes
) -> None:
    night = 0
    while time.monotonic() < deadline:
        user = (await c.call("POST", "/ai/v1/users", 201, json={})).json()["result"]["user_id"]
        h = {"x-user-id": user}
        audio = rng.random() < 1 / 8
        chunk = wav if audio else npy
        body = {
            "start_time": flows.instant(flows.night_start(night)),
            "inference_type": "AUDIO" if audio else "MELSPECTROGRAM",
        }
        night += 1
        created = await c.call("POST", "/ai/v1/sessions", 201, headers=h, json=body)
        session_id = created.json()["result"]["session_id"]
        epochs = rng.randint(2, 4) if audio else rng.randint(5, 50)
        planned = [s for s in range(epochs) if rng.random() > 0.1] or [0]
        rng.shuffle(planned)
        planned += rng.sample(planned, k=min(3, len(planned)))  # retried chunks
        acked: set[int] = set()
        for seq_num in planned:
            r = await c.call(
                "POST",
                f"/ai/v1/sessions/{session_id}/upload",
                200,
                headers=h,
                data={"seq_num": str(seq_num)},
                files={"file": ("chunk", chunk, "application/octet-stream")},
            )
            if r.status_code == 200:
                acked.add(seq_num)
                c.tally.uploads += 1
        await c.call("POST", f"/ai/v1/sessions/{session_id}/close", 200, headers=h)
        read = await c.call("GET", f"/data/v3/sessions/{session_id}", 200, headers=h)
        if read.status_code == 200:
            stages = read.json()["result"]["session"]["sleep_stages"] or []
            have = {i for i, v in enumerate(stages) if v != -1}
            if have != acked:
                c.tally.lost.append(
                    f"asleep {c.key} {session_id}: acknowledged {sorted(acked - have)} missing, "
                    f"unacknowledged {sorted(have - acked)} present"
                )
        listed = await c.call("GET", "/data/v1/sessions", 200, headers=h)
        if listed.status_code == 200:
            ids = [s["session_id"] for s in listed.json()["result"]["sleep_session_list"]]
            if session_id not in ids:
                c.tally.lost.append(f"asleep {c.key} {session_id}: not listed")
        await c.call("DELETE", f"/ai/v1/users/{user}", 204)
        c.tally.conversations["asleep"] += 1


async def kintsugi_v1_client(c: Client, deadline: float, wav: bytes) -> None:
    n = 0
    while time.monotonic() < deadline:
        n += 1
        form = {"user_id": f"{c.key}-{n}", "is_initiated": "true", "age": "42"}
        session_id = (await c.call("POST", "/v1/initiate", 200, data=form)).json()["session_id"]
        predicted = await c.call(
            "POST",
            "/v1/predict/server/depression/binary",
            201,
            data={"session_id": session_id},
            files={"file": ("a.wav", wav, "audio/wav")},
        )
        if predicted.status_code != 201:
            continue
        c.tally.predictions += 1
        feedback = {"session_id": session_id, "actual_score": "true"}
        await c.call("PATCH", "/v1/feedback/server/depression/binary", 200, data=feedback)
        listed = await c.call("GET", "/_emulator/kintsugi/sessions", 200)
        mine = [s for s in listed.json()["sessions"] if s["session_id"] == session_id]
        if not mine or mine[0]["status"] != "success" or not mine[0].get("feedback"):
            c.tally.lost.append(f"kintsugi v1 {c.key} {session_id}: {json.dumps(mine)[:300]}")
        await c.call("POST", "/_emulator/reset", 200, params={"api_key": c.key})
        c.tally.conversations["kintsugi_v1"] += 1


async def kintsugi_v2_client(c: Client, deadline: float, wav: bytes) -> None:
    n = 0
    while time.monotonic() < deadline:
        n += 1
        user = f"{c.key}-{n}"
        body = {"user_id": user, "is_initiated": True, "metadata": {"age": 42}}
        session_id = (await c.call("POST", "/v2/initiate", 201, json=body)).json()["session_id"]
        submitted = await c.call(
            "POST",
            "/v2/prediction/",
            202,
            data={"session_id": session_id},
            files={"file": ("a.wav", wav, "audio/wav")},
        )
        if submitted.status_code != 202:
            continue
        c.tally.predictions += 1
        status = "processing"
        for _ in range(5):
            poll = await c.call("GET", f"/v2/predict/sessions/{session_id}", 200)
            status = poll.json().get("status", "?")
            if status != "processing":
                break
        if status != "success":
            c.tally.lost.append(f"kintsugi v2 {c.key} {session_id}: status {status}")
        feedback = {"session_id": session_id, "data": [1, 2, 0, 3, 1, 0, 2, 1, 0]}
        await c.call("PATCH", "/v2/feedback/phq/9", 200, json=feedback)
        records = (await c.call("GET", f"/v2/predict/users/{user}", 200)).json()
        if not any(r.get("session_id") == session_id and r["status"] == "success" for r in records):
            c.tally.lost.append(f"kintsugi v2 {c.key} {session_id}: not listed for {user}")
        await c.call("POST", "/_emulator/reset", 200, params={"api_key": c.key})
        c.tally.conversations["kintsugi_v2"] += 1


async def storm(
    base_url: str,
    count: int,
    seconds: float,
    transport: Callable[[int], httpx.AsyncBaseTransport] | None = None,
) -> Tally:
    """``count`` clients, each finishing the conversation it is in after ``seconds``.

    ``transport(n)``: client n's own transport (several replicas: round robin)."""
    tally = Tally()
    npy = flows.tiny_melspectrogram()
    wav30 = flows.speech_wav(flows.EPOCH_SECONDS, 16000, seed=1)
    wav = _small_wav()
    deadline = time.monotonic() + seconds
    clients: list[Client] = []
    jobs = []
    for n in range(count):
        kind = "asleep" if n % 2 == 0 else ("kv1" if n % 4 == 1 else "kv2")
        c = Client(base_url, f"rel-{kind}-{n}", tally, transport(n) if transport else None)
        clients.append(c)
        if kind == "asleep":
            jobs.append(asleep_client(c, random.Random(n), deadline, npy, wav30))
        elif kind == "kv1":
            jobs.append(kintsugi_v1_client(c, deadline, wav))
        else:
            jobs.append(kintsugi_v2_client(c, deadline, wav))
    try:
        await asyncio.gather(*jobs)
    finally:
        for c in clients:
            await c.http.aclose()
    return tally


async def watch_memory(live: Live, done: asyncio.Event, started: float) -> list[tuple[float, int]]:
    """RSS samples (seconds since start, bytes) every 0.25 s until ``done``."""
    samples = [(time.monotonic() - started, live.rss())]
    while not done.is_set():
        await asyncio.sleep(0.25)
        samples.append((time.monotonic() - started, live.rss()))
    return samples


async def soak(live: Live, started: float) -> tuple[Tally, list[tuple[float, int]]]:
    done = asyncio.Event()
    watcher = asyncio.create_task(watch_memory(live, done, started))
    try:
        tally = await storm(live.base_url, CLIENTS, SECONDS)
    finally:
        done.set()
    return tally, await watcher


def _rss_at(samples: list[tuple[float, int]], moment: float) -> int:
    return min(samples, key=lambda s: abs(s[0] - moment))[1]


@pytest.mark.slow
def test_sixty_four_clients_mixed_flows(launch: Launch) -> None:
    live = launch(MIN_VOICE)
    started, cpu = time.monotonic(), live.cpu_seconds()
    tally, samples = asyncio.run(soak(live, started))
    elapsed = time.monotonic() - started
    busy = (live.cpu_seconds() - cpu) / elapsed
    rss_start = samples[0][1]
    rss_mid = _rss_at(samples, elapsed / 2)
    rss_end = samples[-1][1]
    peak = max(rss for _, rss in samples)
    codes = ", ".join(f"{code}: {count}" for code, count in sorted(tally.statuses.items()))
    print(
        f"\nsoak: {CLIENTS} clients for {elapsed:.1f} s: {tally.requests:,} requests "
        f"({tally.requests / elapsed:,.0f}/s; {codes}); server CPU {busy:.0%} of a core; "
        f"conversations {dict(tally.conversations)}; "
        f"acknowledged uploads {tally.uploads:,}, predictions {tally.predictions:,}; "
        f"5xx {len(tally.server_errors)}, unexpected statuses {len(tally.unexpected)}, "
        f"lost {len(tally.lost)}; RSS start {mb(rss_start)}, middle {mb(rss_mid)}, "
        f"end {mb(rss_end)}, peak {mb(peak)}"
    )
    assert live.alive()
    assert tally.server_errors == [], "\n".join(tally.server_errors[:10]) + live.log_text()[-3000:]
    assert live.crashes() == []
    assert tally.unexpected == [], "\n".join(tally.unexpected[:10])
    assert tally.lost == [], "\n".join(tally.lost[:10])
    assert all(tally.conversations[k] > 0 for k in ("asleep", "kintsugi_v1", "kintsugi_v2"))
    assert rss_end - rss_mid < GROWTH_TOLERANCE, (
        f"RSS grew {mb(rss_end - rss_mid)} in the second half"
    )
