"""Several apps on one Redis (``--state-url``) are one emulator: each app is a replica.

In-process replicas (``TestClient``), each with its own runtime and caches, sharing
only the test's Redis database: what one answers, the next request to any other
must agree with -- vendor state, the clock, fault rules, progression, the journal,
the tenant cap and the webhooks a night sends.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.settings import KintsugiSettings, Settings, WebhookSettings
from tests.core.test_outbox import Receiver
from tests.support.redis import RedisServer

KEY = {"x-api-key": "team"}
MEL = b"\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (1, 8), }"
MEL += b" " * (128 - len(MEL) - 1) + b"\n" + b"\x00" * 32

Replicas = Callable[..., list[TestClient]]


@pytest.fixture
def replicas(redis_url: str) -> Iterator[Replicas]:
    """``replicas(n, **settings)``: n started apps on the test's Redis database."""
    with ExitStack() as stack:

        def make(n: int, **changes: Any) -> list[TestClient]:
            settings = Settings(state_url=redis_url, clock_start="2025-01-15T02:50:29Z", **changes)
            return [stack.enter_context(TestClient(create_app(settings))) for _ in range(n)]

        yield make


def user_of(client: TestClient) -> dict[str, str]:
    r = client.post("/ai/v1/users", headers=KEY, json={})
    assert r.status_code == 201, r.text
    return {**KEY, "x-user-id": r.json()["result"]["user_id"]}


def upload(client: TestClient, headers: dict[str, str], session: str, seq: int) -> int:
    r = client.post(
        f"/ai/v1/sessions/{session}/upload",
        headers=headers,
        data={"seq_num": str(seq)},
        files={"file": ("chunk.npy", MEL, "application/octet-stream")},
    )
    return r.status_code


def test_an_asleep_night_moves_from_replica_to_replica(replicas: Replicas) -> None:
    a, b, c = replicas(3)
    headers = user_of(a)
    r = b.post("/ai/v1/sessions", headers=headers, json={"inference_type": "MELSPECTROGRAM"})
    assert r.status_code == 201, r.text
    session = r.json()["result"]["session_id"]
    clients = (a, b, c)
    acked = [
        seq
        for seq in range(50)
        if seq % 7 and upload(clients[seq % 3], headers, session, seq) == 200
    ]
    assert c.post(f"/ai/v1/sessions/{session}/close", headers=headers).status_code == 200
    read = a.get(f"/data/v3/sessions/{session}", headers=headers).json()["result"]["session"]
    assert [i for i, v in enumerate(read["sleep_stages"]) if v != -1] == acked
    listed = b.get("/data/v1/sessions", headers=headers).json()["result"]["sleep_session_list"]
    assert [s["session_id"] for s in listed] == [session]
    assert (
        c.get(f"/data/v3/sessions/{session}", headers=headers).json()["result"]["session"] == read
    )


def test_a_kintsugi_session_initiated_predicted_and_read_on_three_replicas(
    replicas: Replicas,
) -> None:
    a, b, c = replicas(3, kintsugi=KintsugiSettings(min_voice_seconds=1))
    body = {"user_id": "patient-1+emu-result:mild_to_moderate", "is_initiated": True}
    session = a.post("/v2/initiate", headers=KEY, json={**body, "metadata": {}}).json()[
        "session_id"
    ]
    r = b.post(
        "/v2/prediction/",
        headers=KEY,
        data={"session_id": session},
        files={"file": ("a.wav", _speech(), "audio/wav")},
    )
    assert r.status_code == 202, r.text
    statuses = [c.get(f"/v2/predict/sessions/{session}", headers=KEY).json()["status"]]
    statuses.append(a.get(f"/v2/predict/sessions/{session}", headers=KEY).json()["status"])
    assert statuses == ["processing", "success"]  # one poll counted over both replicas
    record = c.get(f"/v2/predict/sessions/{session}", headers=KEY).json()
    assert record["status"] == "success"
    assert record["predicted_score"] == "mild_to_moderate"


def _speech() -> bytes:
    from emulator.bench.flows import speech_wav

    return speech_wav(12, 16000, seed=4)


def test_the_clock_moves_for_every_replica(replicas: Replicas) -> None:
    a, b = replicas(2, clock_frozen=True)
    assert b.get("/_emulator/clock").json()["now"] == "2025-01-15T02:50:29+00:00"
    a.post("/_emulator/clock", json={"advance": 3600})
    assert b.get("/_emulator/clock").json() == {"now": "2025-01-15T03:50:29+00:00", "frozen": True}
    b.post("/_emulator/clock", json={"resume": True})
    assert a.get("/_emulator/clock").json()["frozen"] is False


def test_fault_rules_and_their_counts_hold_over_replicas(replicas: Replicas) -> None:
    a, b = replicas(2)
    rule = {"id": "once", "path": "/v2/*", "action": "error", "status": 500, "times": 1}
    assert a.post("/_emulator/faults", json=rule).status_code == 201
    first = b.get("/v2/predict/users/u", headers=KEY)
    second = a.get("/v2/predict/users/u", headers=KEY)
    assert (first.status_code, second.status_code) == (500, 200)
    listed = b.get("/_emulator/faults").json()["rules"]
    assert [(r["id"], r["matches"], r["hits"], r["expired"]) for r in listed] == [
        ("once", 2, 1, True)
    ]
    a.delete("/_emulator/faults")
    assert b.get("/_emulator/faults").json()["rules"] == []


def test_progression_and_a_full_reset_reach_every_replica(replicas: Replicas) -> None:
    a, b = replicas(2)
    a.put("/_emulator/progression", json={"kintsugi": {"mode": "manual"}})
    assert b.get("/_emulator/progression").json()["kintsugi"]["mode"] == "manual"
    headers = user_of(a)
    b.post("/_emulator/reset")
    assert a.get(f"/ai/v1/users/{headers['x-user-id']}", headers=KEY).status_code == 404
    assert a.get("/_emulator/progression").json()["kintsugi"]["mode"] != "manual"


def test_one_journal_for_every_replica(replicas: Replicas) -> None:
    a, b = replicas(2)
    a.get("/v2/predict/users/one", headers=KEY)
    b.get("/v2/predict/users/two", headers=KEY)
    for client in (a, b):
        paths = [e["path"] for e in client.get("/_emulator/requests").json()["requests"]]
        assert paths == ["/v2/predict/users/one", "/v2/predict/users/two"]
    assert b.delete("/_emulator/requests", params={"api_key": "team"}).json() == {"cleared": 2}
    assert a.get("/_emulator/requests").json()["count"] == 0
    # A key that only ever read is in no table: its masked fingerprint, copied from the
    # listing, still clears its entries, as in one process.
    a.get("/v2/predict/users/three", headers={"x-api-key": "reader-only-key"})
    (entry,) = b.get("/_emulator/requests").json()["requests"]
    assert entry["api_key"] != "reader-only-key"
    cleared = b.delete("/_emulator/requests", params={"api_key": entry["api_key"]})
    assert cleared.json() == {"cleared": 1}
    assert a.get("/_emulator/requests").json()["count"] == 0


def test_the_same_requests_give_the_same_ids_whichever_replica_answers(
    redis_server: RedisServer,
) -> None:
    def ids(n_replicas: int) -> list[str]:
        redis_server.flush()
        settings = Settings(state_url=redis_server.url, clock_start="2025-01-15T02:50:29Z")
        body = {"user_id": "u", "is_initiated": True, "metadata": {}}
        with ExitStack() as stack:
            apps = [
                stack.enter_context(TestClient(create_app(settings))) for _ in range(n_replicas)
            ]
            return [
                apps[n % n_replicas]
                .post("/v2/initiate", headers=KEY, json=body)
                .json()["session_id"]
                for n in range(4)
            ]

    assert ids(1) == ids(3)


def test_concurrent_uploads_to_one_session_lose_nothing(replicas: Replicas) -> None:
    """Uploads racing on one session through two replicas conflict; re-runs keep them all."""
    a, b = replicas(2)
    headers = user_of(a)
    created = a.post("/ai/v1/sessions", headers=headers, json={"inference_type": "MELSPECTROGRAM"})
    session = created.json()["result"]["session_id"]
    statuses: dict[int, int] = {}

    def send(client: TestClient, seqs: range) -> None:
        for seq in seqs:
            statuses[seq] = upload(client, headers, session, seq)

    workers = [
        threading.Thread(target=send, args=(client, range(start, 120, 4)))
        for start, client in enumerate((a, b, a, b))
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert set(statuses.values()) == {200}
    a.post(f"/ai/v1/sessions/{session}/close", headers=headers)
    stages = b.get(f"/data/v3/sessions/{session}", headers=headers).json()["result"]["session"]
    assert [i for i, v in enumerate(stages["sleep_stages"]) if v != -1] == list(range(120))


def test_every_webhook_of_a_night_goes_out_once(replicas: Replicas) -> None:
    fast = WebhookSettings(lease_seconds=1.0, shutdown_grace_seconds=1.0)
    with Receiver() as receiver:
        a, b = replicas(2, webhooks=fast)
        headers = user_of(a)
        night = b.post(
            f"/_emulator/asleep/users/{headers['x-user-id']}/nights",
            headers=KEY,
            json={"callback_url": receiver.url, "hours": 2},
        )
        assert night.status_code == 201, night.text
        queued = [d["id"] for d in night.json()["deliveries"]]
        assert a.post("/_emulator/callbacks/flush", params={"timeout": 30}).status_code == 200
        log = b.get("/_emulator/callbacks", params={"api_key": "team"}).json()
    assert [d["id"] for d in log["callbacks"]] == queued
    assert {d["status"] for d in log["callbacks"]} == {"delivered"}
    bodies = [r.json() for r in receiver.received]
    assert len(bodies) == len(queued)
    assert len({_key(body) for body in bodies}) == len(queued)


def _key(body: dict[str, Any]) -> str:
    return json.dumps(body, sort_keys=True)


def test_the_tenant_cap_answers_503_in_the_vendor_shape(
    replicas: Replicas, contract_violations_expected: object
) -> None:
    a, b = replicas(2, max_tenants=1)
    user_of(a)
    r = b.post("/ai/v1/users", headers={"x-api-key": "second"}, json={})
    assert r.status_code == 503
    assert "at most 1 API keys" in r.json()["detail"]
    assert r.headers["retry-after"] == "1"
    assert b.get("/v2/predict/users/u", headers={"x-api-key": "second"}).status_code == 200


def test_a_memory_store_has_the_tenant_cap_too(contract_violations_expected: object) -> None:
    with TestClient(create_app(Settings(max_tenants=1))) as client:
        user_of(client)
        body = {"user_id": "u", "is_initiated": True, "metadata": {}}
        r = client.post("/v2/initiate", headers={"x-api-key": "x"}, json=body)
        assert r.status_code == 503
        assert r.json() == {"message": "service_unavailable"}


def test_without_redis_requests_answer_503_and_recover(
    redis_server: RedisServer, contract_violations_expected: object
) -> None:
    server = RedisServer()  # its own, to kill (the fixture skips visibly without redis)
    try:
        with TestClient(create_app(Settings(state_url=server.url))) as client:
            headers = user_of(client)
            server.proc.kill()
            server.proc.wait()
            r = client.get(f"/ai/v1/users/{headers['x-user-id']}", headers=KEY)
            assert r.status_code == 503
            assert "unreachable" in r.json()["detail"]
            assert r.headers["retry-after"] == "1"
            server.restart()  # the same port, empty: the world is new, and served again
            # A connection the pool still held to the old server fails once (a 503 that
            # says to retry); retried as Retry-After says, the request is served.
            answers = [client.post("/ai/v1/users", headers=KEY, json={}) for _ in range(3)]
            assert {a.status_code for a in answers[:-1]} <= {201, 503}
            assert answers[-1].status_code == 201, answers[-1].text
    finally:
        server.stop()


def test_a_request_whose_commit_conflicts_runs_again_from_its_recorded_body(
    replicas: Replicas, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another replica writes the same session between A's read and A's commit: A's
    commit changes nothing, A's upload runs again (its multipart body replayed) and both
    chunks are kept."""
    a, b = replicas(2)
    headers = user_of(a)
    created = a.post("/ai/v1/sessions", headers=headers, json={"inference_type": "MELSPECTROGRAM"})
    session = created.json()["result"]["session_id"]
    store = a.app.state.runtime.store  # type: ignore[attr-defined]
    original = store.commit_async
    commits: list[int] = []

    async def interleaved(tx: Any) -> None:
        commits.append(len(commits))
        if len(commits) == 1:  # B's upload lands first, as if it had been faster
            done = threading.Thread(target=lambda: upload(b, headers, session, 2))
            done.start()
            done.join()
        await original(tx)

    monkeypatch.setattr(store, "commit_async", interleaved)
    assert upload(a, headers, session, 1) == 200
    assert len(commits) == 2  # the first commit conflicted; the re-run committed
    b.post(f"/ai/v1/sessions/{session}/close", headers=headers)
    stages = a.get(f"/data/v3/sessions/{session}", headers=headers).json()["result"]["session"]
    assert [i for i, v in enumerate(stages["sleep_stages"]) if v != -1] == [1, 2]


def test_a_redis_that_lost_its_data_is_a_new_world_for_every_replica(
    replicas: Replicas, redis_server: RedisServer
) -> None:
    """Redis restarted without persistence (or was flushed): counters start again at 0.
    Replicas must not mistake their cached versions for current ones; they start over
    and give the new world their clock."""
    a, b = replicas(2, clock_frozen=True)
    body = {"user_id": "u", "is_initiated": True, "metadata": {}}
    before = [a.post("/v2/initiate", headers=KEY, json=body).json()["session_id"] for _ in "xy"]
    redis_server.flush()
    after = [b.post("/v2/initiate", headers=KEY, json=body).status_code for _ in "xy"]
    assert after == [201, 201]  # the same ids again, in a world that never saw them
    listed = a.get("/_emulator/kintsugi/sessions", headers=KEY).json()["sessions"]
    assert [s["session_id"] for s in listed] == before
    assert b.get("/_emulator/clock").json() == {"now": "2025-01-15T02:50:29+00:00", "frozen": True}
