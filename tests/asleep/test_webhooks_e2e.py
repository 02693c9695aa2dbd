"""Asleep webhooks end to end: nights recorded over HTTP, callbacks caught by a real receiver.

A live emulator (uvicorn on 127.0.0.1) and a real webhook receiver (a threading HTTP
server on 127.0.0.1). For V1, V2 and V3 a 2.5-hour night is uploaded chunk by chunk;
after each upload that completes an analysis window the test reads the Data API, so
it knows what the emulator showed at the moment each INFERENCE_COMPLETE was made.

What is checked per version (asleep-api.md §4.6, seed 000):

* count and order: one INFERENCE_COMPLETE per firing window (k = 3, then every
  cadence), oldest first, then one SESSION_COMPLETE, each with its headers;
* window contents: equal to the Data API's stages at that moment (all windows),
  and to the final stages for every window before the wake tail -- the final
  analysis turns the night's last epochs into wake (``night.final_night``), so
  tail windows keep the real-time values they were sent with;
* SESSION_COMPLETE: equal to the GET result (+ ``user_id``), read right after.

Then receivers that return 500 then 200, refuse connections and time out, through
the same Asleep flow: retries on the documented schedule, each attempt in the log,
the emulator answering meanwhile; on shutdown an unfinished delivery is reported
as abandoned. Figures are printed (run with ``-s``); the project forbids asserting
wall-clock durations, so structure is asserted instead.

Last, time alone fires callbacks -- the ``seconds`` progression and the 24-hour cap
act without any read (``wiring.Ticker``) -- and the ticker does no work while
nothing can have come due.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
import pytest

from emulator.asleep.state import state_of
from emulator.asleep.wiring import Ticker
from emulator.core.lifecycle import ProgressionPolicy
from emulator.core.outbox import backoff_delay
from emulator.settings import Settings, WebhookSettings
from emulator.testing import EmulatorServer
from tests.asleep.conftest import MEL, settings_for
from tests.core.test_outbox import Received, Receiver
from tests.support.network import RefusingPort

pytestmark = pytest.mark.e2e

EPOCHS = 300  # 2.5 hours: windows 3 .. 29 complete
WEBHOOKS = WebhookSettings(
    timeout_seconds=0.5,
    max_attempts=3,
    backoff_base_seconds=0.1,
    backoff_max_seconds=0.4,
    shutdown_grace_seconds=1.0,
)
# Seed 000 §1.3.3: the Sleep Data Object's metrics, after its session fields.
SEED_000_STAT_KEYS = (
    "sleep_efficiency",
    "sleep_latency",
    "sleep_time",
    "wakeup_latency",
    "wake_time",
    "time_in_wake",
    "time_in_sleep_period",
    "time_in_sleep",
    "time_in_bed",
    "time_in_rem",
    "time_in_light",
    "time_in_deep",
    "time_in_stable_breath",
    "time_in_unstable_breath",
    "wake_ratio",
    "sleep_ratio",
    "rem_ratio",
    "light_ratio",
    "deep_ratio",
    "stable_breath_ratio",
    "unstable_breath_ratio",
    "breathing_pattern",
    "estimated_ahi",
)
FAILING_KEYS = ("hooks-500", "hooks-refused", "hooks-timeout")
MAX_WAKE_TAIL = 40  # epochs: the longest wake tail of any profile (insomnia)


@dataclass(frozen=True)
class Case:
    """One night: which API key (plan), where the callback URL is given, what version."""

    version: str
    key: str
    plan: dict[str, Any]
    cadence: int
    url_on: tuple[str, ...]  # create / upload / close
    create: dict[str, Any] = field(default_factory=dict)
    skip: frozenset[int] = frozenset()


CASES = (
    # V3 by default, 4-stage with breathing, 5-minute cadence; seq 79 (the end of
    # window 7) never arrives: window 7 must still fire, when seq 80 does.
    Case("V3", "hooks-v3", {}, 5, ("create",), skip=frozenset({79})),
    # V2 from the key's plan, no breathing (breath_stages null), 20-minute cadence;
    # the URL comes with the first upload.
    Case(
        "V2",
        "hooks-v2",
        {"webhook_version": "V2", "cadence_minutes": 20, "breathing": False},
        20,
        ("upload",),
    ),
    # V1 asked for on create, 2-stage plan with breathing (osa_stage_list), 40-minute
    # cadence; a second URL given on close receives SESSION_COMPLETE (last one wins).
    Case(
        "V1",
        "hooks-v1",
        {"four_stage": False, "cadence_minutes": 40},
        40,
        ("create", "close"),
        create={"callback_version": "V1"},
    ),
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    # A config file admits only the keys it lists: the failing-receiver tests' too.
    plans = {case.key: case.plan for case in CASES} | {key: {} for key in FAILING_KEYS}
    base = settings_for(tmp_path_factory.mktemp("hooks"), plans=plans)
    with EmulatorServer(replace(base, webhooks=WEBHOOKS)) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with Receiver() as found:
        yield found


def expected_windows(epochs: int, cadence: int) -> list[int]:
    """§4.6 window arithmetic, restated: complete windows k >= 3, every cadence."""
    return [k for k in range(3, epochs // 10) if (k - 3) % (cadence // 5) == 0]


@dataclass
class Night:
    user: str
    session: str
    views: dict[int, dict[int, Any]]  # window -> {Data API version: session object then}
    last_view: dict[str, Any]  # the /data/v3 session object after the last window
    final3: dict[str, Any]
    final2: dict[str, Any]
    upload_ms: list[float]


def _session(http: httpx.Client, headers: dict[str, str], sid: str, version: int) -> Any:
    r = http.get(f"/data/v{version}/sessions/{sid}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["result"]


def record(http: httpx.Client, case: Case, url: str) -> Night:
    headers = {"x-api-key": case.key}
    user = http.post("/ai/v1/users", headers=headers).json()["result"]["user_id"]
    headers["x-user-id"] = user
    body: dict[str, Any] = {"start_time": "2025-01-14T22:00:00Z", **case.create}
    if "create" in case.url_on:
        body["callback_url"] = url + "/night"
    r = http.post("/ai/v1/sessions", headers=headers, json=body)
    assert r.status_code == 201, r.text
    sid = r.json()["result"]["session_id"]
    windows = expected_windows(EPOCHS, case.cadence)
    views: dict[int, dict[int, Any]] = {}
    upload_ms: list[float] = []
    for seq in range(EPOCHS):
        if seq in case.skip:
            continue
        data = {"seq_num": str(seq)}
        if "upload" in case.url_on and seq == 0:
            data["callback_url"] = url + "/night"
        t0 = time.perf_counter()
        r = http.post(
            f"/ai/v1/sessions/{sid}/upload",
            headers=headers,
            data=data,
            files={"file": ("mel.npy", MEL, "application/octet-stream")},
        )
        upload_ms.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, r.text
        fired = [k for k in windows if k not in views and 10 * k + 9 <= seq]
        if fired:
            view = {3: _session(http, headers, sid, 3), 2: _session(http, headers, sid, 2)}
            for k in fired:
                views[k] = {3: view[3]["session"], 2: view[2]["session"]}
    close: dict[str, Any] = {}
    if "close" in case.url_on:
        close["callback_url"] = url + "/closed"
    r = http.post(f"/ai/v1/sessions/{sid}/close", headers=headers, json=close or None)
    assert r.status_code == 200, r.text
    flushed = http.post(
        "/_emulator/callbacks/flush",
        headers={"x-api-key": case.key},
        params={"api_key": case.key, "timeout": 30},
    )
    assert flushed.status_code == 200, flushed.text
    return Night(
        user=user,
        session=sid,
        views=views,
        last_view=views[windows[-1]][3],
        final3=_session(http, headers, sid, 3),
        final2=_session(http, headers, sid, 2),
        upload_ms=upload_ms,
    )


def event_of(version: str, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The event name and data object of a callback body, checking its top-level keys."""
    if version == "V3":
        assert set(body) == {"event", "version", "data"}
        assert body["version"] == "V3"
        return body["event"], body["data"]
    if version == "V2":
        assert set(body) == {"callback_event", "callback_version", "callback_data"}
        assert body["callback_version"] == "V2"
    else:
        assert set(body) == {"callback_event", "callback_data"}  # V1: no version key
    return body["callback_event"], body["callback_data"]


# Callback array -> (Data API version it comes from, field there); window size.
ARRAYS: dict[str, tuple[dict[str, tuple[int, str]], int]] = {
    "V3": (
        {
            "sleep_stages": (3, "sleep_stages"),
            "breath_stages": (3, "breath_stages"),
            "snoring_stages": (3, "snoring_stages"),
        },
        10,
    ),
    "V2": ({"stage_list": (3, "sleep_stages"), "breath_stages": (3, "breath_stages")}, 40),
    "V1": ({"stage_list": (2, "sleep_stages"), "osa_stage_list": (2, "osa_stages")}, 40),
}


def _slice(values: list[int] | None, start: int, stop: int) -> list[int] | None:
    return None if values is None else values[start:stop]


def tail_start(night: Night) -> int:
    """First epoch where the final stages leave the real-time ones: the wake tail."""
    final, live = night.final3["session"], night.last_view
    n = len(live["sleep_stages"])
    for i in range(n):
        for key in ("sleep_stages", "breath_stages", "snoring_stages"):
            if final[key] is not None and final[key][i] != live[key][i]:
                return i
    return n


@pytest.mark.parametrize("case", CASES, ids=[c.version for c in CASES])
def test_a_night_over_http_delivers_every_callback(
    server: EmulatorServer, receiver: Receiver, case: Case
) -> None:
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        night = record(http, case, receiver.url)
        log = http.get(
            "/_emulator/callbacks", headers={"x-api-key": case.key}, params={"api_key": case.key}
        ).json()
    got: list[Received] = [r for r in receiver.received if r.headers["x-api-key"] == case.key]
    windows = expected_windows(EPOCHS, case.cadence)

    # Count and order: every window once, oldest first, then SESSION_COMPLETE.
    events = [event_of(case.version, r.json()) for r in got]
    assert [name for name, _ in events] == ["INFERENCE_COMPLETE"] * len(windows) + [
        "SESSION_COMPLETE"
    ]
    inference = [data for _, data in events[:-1]]
    assert [d["inference_seq_num"] for d in inference] == windows
    assert [d["seq_num"] for d in inference] == [10 * k + 9 for k in windows]
    for r in got:
        assert r.headers["x-user-id"] == night.user
        assert r.headers["content-type"] == "application/json"
    assert all(d["user_id"] == night.user and d["session_id"] == night.session for d in inference)
    last_path = "/hook/closed" if "close" in case.url_on else "/hook/night"
    assert [r.path for r in got] == ["/hook/night"] * len(windows) + [last_path]
    # The log holds the same bodies, each delivered at the first attempt.
    assert [d["body"] for d in log["callbacks"]] == [r.json() for r in got]
    assert {(d["status"], d["attempt_count"]) for d in log["callbacks"]} == {("delivered", 1)}

    # Window contents.
    arrays, size = ARRAYS[case.version]
    tail = tail_start(night)
    final_by_api = {3: night.final3["session"], 2: night.final2["session"]}
    # Where the final stages leave the real-time ones, they are a short wake tail.
    assert len(night.final3["session"]["sleep_stages"]) - tail <= MAX_WAKE_TAIL
    seen_until = len(night.last_view["sleep_stages"])
    for key in ("sleep_stages", "breath_stages", "snoring_stages"):
        values = night.final3["session"][key]
        assert values is None or set(values[tail:seen_until]) <= {0}, key  # wake, stable
    compared = 0
    for k, data in zip(windows, inference, strict=True):
        stop = 10 * k + 10
        start = stop - size
        before_tail = stop <= tail
        compared += before_tail
        for name, (api, source) in arrays.items():
            sent = data[name]
            live = _slice(night.views[k][api][source], start, stop)
            assert sent == live, (k, name)  # what the Data API showed at that moment
            assert sent is None or len(sent) == size
            if not before_tail or sent is None:
                continue
            final = final_by_api[api][source][start:stop]
            if name != "osa_stage_list":
                assert sent == final, (k, name)
                continue
            # osa of the analysed prefix: an isolated unstable epoch at its end is a
            # hypopnea (2) until the next epoch shows the run goes on (apnea, 1).
            assert sent[:-1] == final[:-1], k
            if sent[-1] != final[-1]:
                breath = night.final3["session"]["breath_stages"]
                assert (sent[-1], final[-1], breath[stop]) == (2, 1, 1), k
    assert compared >= len(windows) - 5
    if case.version == "V3":
        assert inference[4]["inference_seq_num"] == 7
        assert inference[4]["sleep_stages"][-1] == -1  # seq 79 never arrived
    if case.version == "V1":
        assert set(night.final2["session"]["sleep_stages"]) <= {-1, 0, 1}  # 2-stage plan
        assert all(d["osa_stage_list"] is not None for d in inference)
    if case.version == "V2":
        assert all(d["breath_stages"] is None for d in inference)  # no breathing plan

    # SESSION_COMPLETE equals the GET result read right after, plus user_id.
    _, done = events[-1]
    if case.version == "V3":
        assert done == {**night.final3, "user_id": night.user}
        assert list(done) == [
            "timezone",
            "peculiarities",
            "missing_data_ratio",
            "user_id",
            "session",
            "stat",
        ]
    elif case.version == "V2":
        assert done == {
            "user_id": night.user,
            "session_id": night.session,
            "sleep_data": night.final3,
        }
    else:
        s, stat = night.final2["session"], night.final2["stat"]
        assert stat is not None  # a VALID night
        assert done == {
            "user_id": night.user,
            "session_id": night.session,
            "sleep_data": {
                "session_id": s["id"],
                "state": "COMPLETE",
                "session_start_time": s["start_time"],
                "session_end_time": s["end_time"],
                "sleep_stages": s["sleep_stages"],
                "osa_stages": s["osa_stages"],
                **{key: stat[key] for key in SEED_000_STAT_KEYS},
            },
        }
    assert night.final3["session"]["state"] == "COMPLETE"
    ms = sorted(night.upload_ms)
    print(
        f"\n[webhooks {case.version}] {len(got)} callbacks ({len(windows)} INFERENCE_COMPLETE, "
        f"{compared} equal to the final stages; final = real-time view on epochs 0..{tail - 1} "
        f"of {EPOCHS}); uploads median {statistics.median(ms):.2f} ms, max {ms[-1]:.1f} ms"
    )


# --------------------------------------------------------------------------- failing receivers


def _night_start(http: httpx.Client, key: str, url: str) -> tuple[dict[str, str], str]:
    """A user and a session with ``url``; 40 chunks uploaded: window 3 fired."""
    headers = {"x-api-key": key}
    user = http.post("/ai/v1/users", headers=headers).json()["result"]["user_id"]
    headers["x-user-id"] = user
    r = http.post("/ai/v1/sessions", headers=headers, json={"callback_url": url})
    assert r.status_code == 201, r.text
    sid = r.json()["result"]["session_id"]
    for seq in range(40):
        r = http.post(
            f"/ai/v1/sessions/{sid}/upload",
            headers=headers,
            data={"seq_num": str(seq)},
            files={"file": ("mel.npy", MEL, "application/octet-stream")},
        )
        assert r.status_code == 200, r.text
    return headers, sid


def _log(http: httpx.Client, key: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = http.get(
        "/_emulator/callbacks", headers={"x-api-key": key}, params={"api_key": key}
    ).json()["callbacks"]
    return found


def _timed(http: httpx.Client, method: str, path: str, **kwargs: Any) -> tuple[Any, float]:
    t0 = time.perf_counter()
    r = http.request(method, path, **kwargs)
    return r, (time.perf_counter() - t0) * 1000


def _schedule(server: EmulatorServer, delivery_id: str) -> list[float]:
    seed = server.runtime.store.seed
    return [backoff_delay(WEBHOOKS, seed, delivery_id, n) for n in (1, 2)]


def _waits(d: dict[str, Any]) -> list[float | None]:
    return [a["retry_in_seconds"] for a in d["attempts"]]


def test_500_then_200_is_retried_and_the_session_keeps_its_order(server: EmulatorServer) -> None:
    key = "hooks-500"
    with (
        Receiver(lambda i: (500 if i == 0 else 200, 0.0)) as receiver,
        httpx.Client(base_url=server.base_url, timeout=30) as http,
    ):
        headers, sid = _night_start(http, key, receiver.url)
        r, close_ms = _timed(http, "POST", f"/ai/v1/sessions/{sid}/close", headers=headers)
        assert r.status_code == 200
        assert (
            http.post(
                "/_emulator/callbacks/flush", headers={"x-api-key": key}, params={"api_key": key}
            ).status_code
            == 200
        )
        log = _log(http, key)
    first, done = log
    assert (first["event"], done["event"]) == ("INFERENCE_COMPLETE", "SESSION_COMPLETE")
    assert [a["status"] for a in first["attempts"]] == [500, 200]
    assert [a["outcome"] for a in first["attempts"]] == ["failed", "delivered"]
    assert first["attempts"][0]["error_kind"] == "http_status"
    assert _waits(first) == [pytest.approx(_schedule(server, first["id"])[0], abs=1e-6), None]
    assert [a["status"] for a in done["attempts"]] == [200]
    # Per-session FIFO through the real flow: SESSION_COMPLETE waited for the retry.
    names = [event_of("V3", r.json())[0] for r in receiver.received]
    assert names == ["INFERENCE_COMPLETE", "INFERENCE_COMPLETE", "SESSION_COMPLETE"]
    gap = receiver.received[1].at - receiver.received[0].at
    print(
        f"\n[webhooks 500->200] planned wait {_schedule(server, first['id'])[0] * 1000:.1f} ms, "
        f"measured gap between attempts {gap * 1000:.1f} ms; close answered in {close_ms:.1f} ms"
    )


def test_a_refusing_receiver_is_retried_on_the_schedule_then_given_up(
    server: EmulatorServer, refusing: RefusingPort
) -> None:
    key = "hooks-refused"
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        headers, sid = _night_start(http, key, refusing.url("/hook"))
        latencies = [
            _timed(http, "GET", f"/data/v3/sessions/{sid}", headers=headers)[1] for _ in range(5)
        ]
        assert http.post(f"/ai/v1/sessions/{sid}/close", headers=headers).status_code == 200
        assert (
            http.post(
                "/_emulator/callbacks/flush", headers={"x-api-key": key}, params={"api_key": key}
            ).status_code
            == 200
        )
        log = _log(http, key)
    assert [d["event"] for d in log] == ["INFERENCE_COMPLETE", "SESSION_COMPLETE"]
    for d in log:
        assert d["status"] == "failed"
        assert d["note"] == "gave up after 3 attempts"
        assert [a["error_kind"] for a in d["attempts"]] == ["connect"] * 3
        planned = _schedule(server, d["id"])
        assert _waits(d) == [pytest.approx(w, abs=1e-6) for w in planned] + [None]
    print(
        f"\n[webhooks refused] waits {[round(w, 3) for w in _schedule(server, log[0]['id'])]} s; "
        f"GET while retrying: max {max(latencies):.1f} ms; error {log[0]['attempts'][0]['error']!r}"
    )


def test_a_receiver_that_times_out_does_not_hold_up_the_emulator(server: EmulatorServer) -> None:
    key = "hooks-timeout"
    # The first three calls hang well past the 0.5 s timeout; later ones answer at once.
    with (
        Receiver(lambda i: (200, 2.0 if i < 3 else 0.0)) as receiver,
        httpx.Client(base_url=server.base_url, timeout=30) as http,
    ):
        headers, sid = _night_start(http, key, receiver.url)
        pending = _log(http, key)
        latencies = [
            _timed(http, "GET", f"/data/v3/sessions/{sid}", headers=headers)[1] for _ in range(10)
        ]
        r, close_ms = _timed(http, "POST", f"/ai/v1/sessions/{sid}/close", headers=headers)
        assert r.status_code == 200
        during = _log(http, key)
        assert (
            http.post(
                "/_emulator/callbacks/flush", headers={"x-api-key": key}, params={"api_key": key}
            ).status_code
            == 200
        )
        log = _log(http, key)
    # The upload that caused the callback, the reads and the close were all answered
    # while the callback was still under way (each attempt hangs until the timeout).
    assert [d["status"] for d in pending] in (["pending"], ["delivering"])
    assert during[0]["status"] in ("pending", "delivering")
    assert during[1]["status"] == "pending"  # waits behind it (per-session order)
    first, done = log
    assert first["status"] == "failed"
    assert [a["error_kind"] for a in first["attempts"]] == ["timeout"] * 3
    planned = _schedule(server, first["id"])
    assert _waits(first) == [pytest.approx(w, abs=1e-6) for w in planned] + [None]
    assert (done["status"], [a["status"] for a in done["attempts"]]) == ("delivered", [200])
    arrivals = [
        round((b.at - a.at) * 1000, 1)
        for a, b in zip(receiver.received, receiver.received[1:], strict=False)
    ]
    print(
        f"\n[webhooks timeout] attempt latencies {[a['latency_ms'] for a in first['attempts']]} ms "
        f"(timeout 500 ms), planned waits {[round(w * 1000, 1) for w in planned]} ms, gaps between "
        f"arrivals {arrivals} ms; while pending: GET median {statistics.median(latencies):.1f} ms "
        f"max {max(latencies):.1f} ms, close {close_ms:.1f} ms"
    )


def test_shutdown_reports_what_it_could_not_deliver() -> None:
    settings = replace(
        settings_for(), webhooks=replace(WEBHOOKS, timeout_seconds=5.0, shutdown_grace_seconds=0.2)
    )
    with Receiver(lambda i: (200, 3.0)) as receiver:
        server = EmulatorServer(settings)
        with server, httpx.Client(base_url=server.base_url, timeout=30) as http:
            _night_start(http, "hooks-shutdown", receiver.url)
        outbox = server.runtime.outbox
        (delivery,) = outbox.deliveries(api_key="hooks-shutdown")
    assert delivery.status == "abandoned"
    assert delivery.note == "the emulator shut down before the delivery finished"
    assert delivery.event == "INFERENCE_COMPLETE"


# --------------------------------------------------------------------------- time, no reads


def test_time_completes_sessions_and_fires_callbacks_without_a_read() -> None:
    """``seconds`` progression and the 24-hour cap act without any read (wiring.Ticker)."""
    settings = replace(
        Settings(seed=7, clock_start="2025-01-15T02:50:29Z", clock_frozen=True, webhooks=WEBHOOKS),
        asleep=replace(Settings().asleep, progression="seconds", progression_seconds=60.0),
    )
    with (
        Receiver() as receiver,
        EmulatorServer(settings) as server,
        httpx.Client(base_url=server.base_url, timeout=30) as http,
    ):
        key = "hooks-time"
        headers, closed = _night_start(http, key, receiver.url)
        assert http.post(f"/ai/v1/sessions/{closed}/close", headers=headers).status_code == 200
        # Another user's session stays OPEN: the 24-hour cap must end it.
        other = {"x-api-key": key}
        other["x-user-id"] = http.post("/ai/v1/users", headers=other).json()["result"]["user_id"]
        r = http.post("/ai/v1/sessions", headers=other, json={"callback_url": receiver.url})
        left_open = r.json()["result"]["session_id"]
        http.post("/_emulator/callbacks/flush", headers={"x-api-key": key}, params={"api_key": key})
        before = [d["event"] for d in _log(http, key)]
        # 61 s later the analysis of the closed one is done: its SESSION_COMPLETE goes
        # out without anybody reading the session.
        assert http.post("/_emulator/clock", json={"advance": 61}).status_code == 200
        http.post("/_emulator/callbacks/flush", headers={"x-api-key": key}, params={"api_key": key})
        after_close = [(d["session_id"], d["event"]) for d in _log(http, key)]
        assert http.post("/_emulator/clock", json={"advance": 86400}).status_code == 200
        http.post("/_emulator/callbacks/flush", headers={"x-api-key": key}, params={"api_key": key})
        after_cap = [(d["session_id"], d["event"]) for d in _log(http, key)]
        # Nobody read the capped session; it was ended at +24 h, then analysed.
        state = http.get(f"/data/v3/sessions/{left_open}", headers=other).json()["result"]
    assert before == ["INFERENCE_COMPLETE"]
    assert after_close[1:] == [(closed, "SESSION_COMPLETE")]
    assert after_cap[2:] == [(left_open, "SESSION_COMPLETE")]
    assert state["session"]["unexpected_end_time"] is not None
    assert len(receiver.received) == 3


def test_the_ticker_skips_work_until_time_or_the_policy_moves(make_api: Any) -> None:
    """Cheap when nothing is due: no tick while the virtual second and policy stand still,
    and finished sessions are never looked at again (``AsleepState.active``)."""
    api = make_api(progression="seconds", progression_seconds=30.0)
    user = api.user()
    closed = api.night(user, range(45))
    state = state_of(api.runtime.store.namespace(api.key))
    assert list(state.active) == [closed]
    ticker = Ticker(api.runtime)  # a second one, not started: its answers are its own
    assert ticker.check() is True  # the first look
    assert ticker.check() is False  # frozen clock, same policy: nothing can be due
    api.runtime.clock.advance(31)
    assert ticker.check() is True
    assert api.stored(closed).state.value == "COMPLETE"
    assert list(state.active) == []
    api.runtime.set_progression("asleep", ProgressionPolicy("manual"))
    assert ticker.check() is True  # a new policy may make CLOSED sessions due
    assert ticker.check() is False
