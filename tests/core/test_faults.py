"""Fault injection: rules, seeded decisions, each fault kind as a client sees it."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.core.fault_middleware import DroppedConnection
from emulator.core.fault_rules import MAX_LATENCY_MS, FaultError, FaultRule, Latency
from emulator.core.faults import Faults, fires
from emulator.core.runtime import runtime
from emulator.core.secrets import mask
from emulator.settings import Settings
from emulator.testing import EmulatorServer

KEY = {"x-api-key": "k1"}


async def _write(request: Request) -> Response:
    """A stand-in vendor write: bumps a persisted per-key counter."""
    ns = runtime(request).store.namespace(request.headers["x-api-key"])
    return JSONResponse({"n": ns.next_id("test.writes")})


async def _ok(request: Request) -> Response:
    return JSONResponse({"ok": True})


TEST_ROUTES = [
    Route("/v2/test-write", _write, methods=["POST"]),
    Route("/v2/ok", _ok, methods=["GET"]),
    Route("/ai/v1/ok", _ok, methods=["GET"]),
]


def _client(seed: int = 0) -> TestClient:
    app = create_app(Settings(seed=seed))
    app.router.routes.extend(TEST_ROUTES)
    return TestClient(app)


@pytest.fixture
def client() -> Iterator[TestClient]:
    with _client() as c:
        yield c


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    emu = EmulatorServer()
    emu.app.router.routes.extend(TEST_ROUTES)
    with emu:
        yield emu


@pytest.fixture
def live(server: EmulatorServer) -> EmulatorServer:
    server.reset()
    return server


def _put(client: TestClient | httpx.Client, *rules: dict[str, object]) -> list[dict[str, object]]:
    r = client.put("/_emulator/faults", json=list(rules))
    assert r.status_code == 200, r.text
    found: list[dict[str, object]] = r.json()["rules"]
    return found


def _journal(client: TestClient | httpx.Client) -> list[dict[str, object]]:
    found: list[dict[str, object]] = client.get("/_emulator/requests").json()["requests"]
    return found


# ----------------------------------------------------------------------------- error, throttle


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v2/predict/initiate", {"message": "insufficient_audio_length"}),
        ("/v1/initiate", {"error": "insufficient_audio_length"}),
        ("/ai/v1/users/u1", {"detail": "insufficient_audio_length"}),
    ],
)
def test_error_answers_in_the_addressed_vendors_shape(
    client: TestClient, path: str, body: dict[str, str]
) -> None:
    _put(client, {"action": "error", "status": 422, "code": "insufficient_audio_length"})
    r = client.post(path, headers=KEY)
    assert r.status_code == 422
    assert r.json() == body
    assert _journal(client)[-1]["fault"] == "f1:error"


def test_error_with_a_verbatim_body_and_headers(client: TestClient) -> None:
    _put(
        client,
        {
            "path": "/v2/*",
            "action": "error",
            "status": 500,
            "body": {"anything": [1, 2]},
            "headers": {"x-trace": "t1"},
        },
    )
    r = client.get("/v2/ok", headers=KEY)
    assert (r.status_code, r.json(), r.headers["x-trace"]) == (500, {"anything": [1, 2]}, "t1")


@pytest.mark.parametrize("status", [429, 503])
def test_throttle_answers_with_retry_after(client: TestClient, status: int) -> None:
    _put(client, {"path": "/v2/*", "action": "throttle", "status": status, "retry_after": 7})
    r = client.get("/v2/ok", headers=KEY)
    assert r.status_code == status
    assert r.headers["retry-after"] == "7"
    assert "message" in r.json()  # Kintsugi v2 body shape
    r = client.get("/ai/v1/ok", headers=KEY)
    assert r.status_code == 200  # the rule's path does not match Asleep
    entries = _journal(client)
    assert [e["fault"] for e in entries] == ["f1:throttle", None]
    assert [e["status"] for e in entries] == [status, 200]


def test_throttle_defaults_to_429_after_one_second(client: TestClient) -> None:
    _put(client, {"action": "throttle"})
    r = client.get("/ai/v1/ok", headers=KEY)
    assert (r.status_code, r.headers["retry-after"]) == (429, "1")
    assert "detail" in r.json()  # Asleep body shape


def test_the_control_api_is_never_faulted(client: TestClient) -> None:
    _put(client, {"path": "*", "action": "error", "status": 500})
    assert client.get("/_emulator/health").status_code == 200
    assert client.get("/v2/ok").status_code == 500


def test_rules_match_method_path_and_api_key(client: TestClient) -> None:
    _put(
        client,
        {
            "method": "post",
            "path": "re:/v2/test-.*",
            "api_key": "k2",
            "action": "error",
            "status": 409,
        },
    )
    assert client.post("/v2/test-write", headers={"x-api-key": "k1"}).status_code == 200
    assert client.get("/v2/test-write", headers={"x-api-key": "k2"}).status_code != 409
    assert client.post("/v2/test-write", headers={"x-api-key": "k2"}).status_code == 409
    rule = client.get("/_emulator/faults/f1").json()
    assert (rule["matches"], rule["hits"]) == (1, 1)


def test_times_and_after_bound_a_rule(client: TestClient) -> None:
    _put(client, {"path": "/v2/ok", "action": "error", "status": 500, "after": 1, "times": 2})
    statuses = [client.get("/v2/ok").status_code for _ in range(5)]
    assert statuses == [200, 500, 500, 200, 200]
    rule = client.get("/_emulator/faults/f1").json()
    assert (rule["matches"], rule["hits"], rule["expired"]) == (5, 2, True)


def test_latency_rules_add_up_before_the_first_answering_rule(client: TestClient) -> None:
    _put(
        client,
        {"path": "/v2/*", "latency_ms": 1},
        {"path": "/v2/*", "action": "error", "status": 503, "latency_ms": 1},
        {"path": "/v2/*", "action": "error", "status": 500},
    )
    assert client.get("/v2/ok").status_code == 503
    assert _journal(client)[-1]["fault"] == "f1:latency,f2:error"
    rules = client.get("/_emulator/faults").json()["rules"]
    # Every matching rule counts the match; only the applied ones count a hit.
    assert [(r["matches"], r["hits"]) for r in rules] == [(1, 1), (1, 1), (1, 0)]


# ----------------------------------------------------------------------------- determinism


def _statuses(seed: int, n: int = 40) -> tuple[list[int], list[object]]:
    with _client(seed) as c:
        _put(c, {"path": "/v2/*", "action": "error", "status": 503, "probability": 0.5})
        statuses = [c.get("/v2/ok", headers=KEY).status_code for _ in range(n)]
        return statuses, [e["fault"] for e in _journal(c)]


def test_the_same_seed_repeats_the_same_faults() -> None:
    first, marks = _statuses(7)
    again, marks_again = _statuses(7)
    assert first == again
    assert marks == marks_again
    assert 5 < first.count(503) < 35  # probability 0.5 really mixes
    assert _statuses(8)[0] != first


@given(
    seed=st.integers(0, 2**32),
    rule_id=st.text(min_size=1, max_size=8),
    match=st.integers(1, 10_000),
    probability=st.floats(0, 1),
)
def test_a_decision_is_a_pure_function_of_seed_rule_and_match(
    seed: int, rule_id: str, match: int, probability: float
) -> None:
    assert fires(seed, rule_id, match, probability) == fires(seed, rule_id, match, probability)
    assert fires(seed, rule_id, match, 1.0)
    assert not fires(seed, rule_id, match, 0.0)


def test_probability_is_honoured_over_many_matches() -> None:
    hits = sum(fires(3, "f1", n, 0.3) for n in range(1, 5001))
    assert 0.27 < hits / 5000 < 0.33


_REQUESTS = st.lists(
    st.tuples(
        st.sampled_from(["GET", "POST"]),
        st.sampled_from(["/v2/a", "/v2/b", "/ai/v1/c"]),
        st.sampled_from(["k1", "k2", None]),
    ),
    max_size=40,
)


def _rules() -> list[dict[str, object]]:
    return [
        {"path": "/v2/*", "latency_ms": {"distribution": "uniform", "min": 1, "max": 9}},
        {"method": "POST", "action": "error", "status": 500, "probability": 0.4},
        {"api_key": "k2", "action": "drop", "probability": 0.5, "times": 5},
        {"path": "/v2/a", "action": "throttle", "probability": 0.7, "after": 2},
    ]


def _run(
    seed: int, rules: list[dict[str, object]], requests: list[tuple[str, str, str | None]]
) -> list[tuple[str, float] | None]:
    faults = Faults()
    faults.replace(rules)
    out: list[tuple[str, float] | None] = []
    for method, path, key in requests:
        d = faults.evaluate(method, path, key, seed)
        out.append(None if d is None else (d.mark, d.latency_ms))
    return out


@given(seed=st.integers(0, 2**16), requests=_REQUESTS)
def test_the_same_requests_get_the_same_faults(
    seed: int, requests: list[tuple[str, str, str | None]]
) -> None:
    assert _run(seed, _rules(), requests) == _run(seed, _rules(), requests)


@given(seed=st.integers(0, 2**16), requests=_REQUESTS)
def test_a_rules_decisions_do_not_depend_on_rules_before_it(
    seed: int, requests: list[tuple[str, str, str | None]]
) -> None:
    """A passing-through rule in front of a rule leaves that rule's decisions alone."""
    rule = {"id": "r", "action": "error", "status": 500, "probability": 0.5}
    alone = _run(seed, [rule], requests)
    behind = _run(seed, [{"id": "x", "latency_ms": 1}, rule], requests)
    assert [a and a[0] for a in alone] == [
        (b and str(b[0]).removeprefix("x:latency").lstrip(",")) or None for b in behind
    ]


@given(
    seed=st.integers(0, 2**16),
    match=st.integers(1, 1000),
    latency=st.one_of(
        st.floats(0, MAX_LATENCY_MS),
        st.builds(
            lambda lo, span, cap: {
                "distribution": "uniform",
                "min": lo,
                "max": lo + span,
                "cap": cap,
            },
            st.floats(0, 1000),
            st.floats(0, 1000),
            st.floats(0, 5000),
        ),
        st.builds(
            lambda mean, sd: {"distribution": "normal", "mean": mean, "stddev": sd, "cap": 800},
            st.floats(0, 1000),
            st.floats(0, 1000),
        ),
        st.builds(
            lambda median, sigma: {"distribution": "lognormal", "median": median, "sigma": sigma},
            st.floats(0, 1000),
            st.floats(0, 3),
        ),
    ),
)
def test_latency_samples_are_reproducible_and_capped(
    seed: int, match: int, latency: object
) -> None:
    parsed = Latency.from_json(latency)
    value = parsed.sample(seed, "f1", match)
    assert value == parsed.sample(seed, "f1", match)
    assert 0.0 <= value <= parsed.cap <= MAX_LATENCY_MS


# ----------------------------------------------------------------------------- latency, drop (live)


def test_latency_delays_the_response(live: EmulatorServer) -> None:
    with httpx.Client(base_url=live.base_url, timeout=10) as c:
        _put(c, {"path": "/v2/ok", "latency_ms": 300})
        started = time.perf_counter()
        r = c.get("/v2/ok", headers=KEY)
        elapsed = time.perf_counter() - started
        assert r.status_code == 200
        assert elapsed >= 0.3
        assert c.get("/ai/v1/ok", headers=KEY).status_code == 200
        entries = _journal(c)
        assert entries[0]["fault"] == "f1:latency"
        assert float(str(entries[0]["duration_ms"])) >= 300
        assert entries[1]["fault"] is None


def test_error_with_latency_is_late_and_shaped(live: EmulatorServer) -> None:
    with httpx.Client(base_url=live.base_url, timeout=10) as c:
        _put(
            c,
            {"action": "error", "status": 404, "code": "nonexistent_initiation", "latency_ms": 150},
        )
        started = time.perf_counter()
        r = c.get("/v2/predict/x", headers=KEY)
        assert time.perf_counter() - started >= 0.15
        assert (r.status_code, r.json()) == (404, {"message": "nonexistent_initiation"})


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def server_errors() -> Iterator[_Errors]:
    handler = _Errors()
    logger = logging.getLogger("uvicorn.error")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


@pytest.mark.parametrize(
    ("mode", "error"), [("close", httpx.RemoteProtocolError), ("reset", httpx.ReadError)]
)
def test_drop_closes_the_connection_without_a_response(
    live: EmulatorServer, server_errors: _Errors, mode: str, error: type[Exception]
) -> None:
    with httpx.Client(base_url=live.base_url, timeout=10) as c:
        _put(c, {"path": "/v2/ok", "action": "drop", "mode": mode, "times": 2})
        for _ in range(2):
            with pytest.raises(error):
                c.get("/v2/ok", headers=KEY)
        # The rule is spent; the same server and a new connection answer normally.
        assert c.get("/v2/ok", headers=KEY).status_code == 200
        entries = _journal(c)
    assert [(e["status"], e["fault"]) for e in entries] == [
        (0, "f1:drop"),
        (0, "f1:drop"),
        (200, None),
    ]
    assert server_errors.records == []  # no "returned without starting response", no 500


def test_drop_in_the_response_phase_keeps_the_write(live: EmulatorServer) -> None:
    """The emulator did the work; the client never heard: its retry must be idempotent."""
    with httpx.Client(base_url=live.base_url, timeout=10) as c:
        _put(c, {"path": "/v2/test-write", "action": "drop", "phase": "response", "times": 1})
        with pytest.raises(httpx.RemoteProtocolError):
            c.post("/v2/test-write", headers=KEY)
        assert c.post("/v2/test-write", headers=KEY).json() == {"n": 2}


def test_drop_in_the_request_phase_does_no_work(live: EmulatorServer) -> None:
    with httpx.Client(base_url=live.base_url, timeout=10) as c:
        _put(c, {"path": "/v2/test-write", "action": "drop", "times": 1})
        # With request bytes still unread, closing sends a TCP RST: either error may come.
        with pytest.raises(httpx.TransportError):
            c.post("/v2/test-write", headers=KEY, content=b"x" * 200_000)
        assert c.post("/v2/test-write", headers=KEY).json() == {"n": 1}


def test_drop_in_process_raises_a_connection_error() -> None:
    app = create_app()
    app.router.routes.extend(TEST_ROUTES)
    with TestClient(app) as c:
        _put(c, {"action": "drop"})
        with pytest.raises(DroppedConnection):
            c.get("/v2/ok")
    assert issubclass(DroppedConnection, ConnectionError)


# ----------------------------------------------------------------------------- the control API


def test_ids_are_assigned_and_rules_listed_with_counters(client: TestClient) -> None:
    rules = _put(client, {"action": "error", "status": 500}, {"id": "mine", "latency_ms": 5})
    assert [r["id"] for r in rules] == ["f1", "mine"]
    added = client.post("/_emulator/faults", json={"action": "throttle"})
    assert added.status_code == 201
    assert added.json()["id"] == "f2"
    listed = client.get("/_emulator/faults").json()
    assert listed["seed"] == 0
    assert [r["id"] for r in listed["rules"]] == ["f1", "mine", "f2"]
    assert listed["rules"][1]["latency_ms"] == 5
    assert client.delete("/_emulator/faults/mine").json() == {"deleted": 1}
    assert client.post("/_emulator/faults", json={"action": "throttle"}).json()["id"] == "f3"
    assert client.delete("/_emulator/faults/mine").status_code == 404
    assert client.get("/_emulator/faults/nope").json()["error"] == "not_found"
    assert client.delete("/_emulator/faults").json() == {"deleted": 3}
    assert client.get("/_emulator/faults").json()["rules"] == []


def test_put_accepts_a_rules_object_and_replaces(client: TestClient) -> None:
    _put(client, {"action": "error", "status": 500})
    r = client.put("/_emulator/faults", json={"rules": [{"action": "throttle"}]})
    assert [x["action"] for x in r.json()["rules"]] == ["throttle"]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"action": "explode"}, "action must be one of"),
        ({}, "action must be one of"),
        ({"action": "error"}, "status from 400 to 599"),
        ({"action": "error", "status": 302}, "status from 400 to 599"),
        ({"action": "throttle", "status": 500}, "429 or 503"),
        ({"action": "drop", "status": 500}, "takes no status"),
        ({"action": "drop", "mode": "explode"}, "mode must be one of"),
        ({"action": "latency"}, "needs latency_ms"),
        ({"latency_ms": -1}, "latency_ms must be from 0"),
        ({"latency_ms": {"distribution": "pareto"}}, "distribution must be"),
        ({"latency_ms": {"distribution": "uniform", "min": 5}}, "latency_ms.max"),
        ({"latency_ms": {"distribution": "uniform", "min": 5, "max": 1}}, "must not exceed"),
        ({"action": "throttle", "probability": 2}, "probability"),
        ({"action": "throttle", "times": 0}, "times must be"),
        ({"action": "throttle", "after": -1}, "after must be"),
        ({"action": "throttle", "method": "FETCH"}, "method must be"),
        ({"action": "throttle", "path": "re:("}, "path regex"),
        ({"action": "throttle", "id": "no spaces"}, "id must be"),
        ({"action": "throttle", "colour": "red"}, "takes no colour"),
        ({"action": "error", "status": 500, "headers": {"x y": "z"}}, "headers must map"),
        ({"action": "error", "status": 500, "headers": {"x": "a\nb"}}, "headers must map"),
        ([1], "must be a JSON object"),
    ],
)
def test_bad_rules_are_refused_with_a_reason(
    client: TestClient, rule: object, message: str
) -> None:
    r = client.post("/_emulator/faults", json=rule)
    assert r.status_code == 400
    assert r.json()["error"] == "bad_request"
    assert message in r.json()["message"]
    assert client.get("/_emulator/faults").json()["rules"] == []


def test_put_is_all_or_nothing(client: TestClient) -> None:
    _put(client, {"action": "throttle"})
    r = client.put("/_emulator/faults", json=[{"action": "error", "status": 500}, {"action": "?"}])
    assert r.status_code == 400
    assert r.json()["message"].startswith("rule 1:")
    assert [x["action"] for x in client.get("/_emulator/faults").json()["rules"]] == ["throttle"]
    r = client.put("/_emulator/faults", json=[{"id": "a", "action": "throttle"}] * 2)
    assert "unique" in r.json()["message"]
    assert client.post("/_emulator/faults", json={"id": "f1", "action": "drop"}).status_code == 400
    assert client.put("/_emulator/faults", json={"action": "drop"}).status_code == 400
    assert client.put("/_emulator/faults", content=b"{nope").status_code == 400


def test_reset_clears_rules_and_reset_of_a_key_clears_its_rules(client: TestClient) -> None:
    _put(client, {"action": "throttle", "api_key": "k1"}, {"action": "throttle", "api_key": "k2"})
    client.post("/_emulator/reset?api_key=k1")
    assert [r["api_key"] for r in client.get("/_emulator/faults").json()["rules"]] == [mask("k2")]
    client.post("/_emulator/reset")
    assert client.get("/_emulator/faults").json()["rules"] == []
    _put(client, {"action": "throttle", "api_key": "k1"}, {"action": "throttle"})
    assert client.delete("/_emulator/faults?api_key=k1").json() == {"deleted": 1}


def test_rule_documents_round_trip() -> None:
    doc = {
        "id": "x",
        "method": "GET",
        "path": "/v2/*",
        "api_key": "k",
        "action": "drop",
        "latency_ms": {"distribution": "lognormal", "median": 80.0, "sigma": 0.4, "cap": 900.0},
        "probability": 0.25,
        "times": 3,
        "after": 1,
        "mode": "reset",
        "phase": "response",
    }
    rule = FaultRule.from_json(doc, "x")
    shown = rule.to_json()
    assert {k: shown[k] for k in doc} == doc
    again = FaultRule.from_json({k: shown[k] for k in doc}, "x")
    assert again.to_json() == shown
    with pytest.raises(FaultError):
        FaultRule.from_json({**doc, "status": 500}, "x")


def test_regex_paths_are_linear_time_re2() -> None:
    """``(a+)+$`` backtracks catastrophically in Python's ``re``; RE2 cannot."""
    rule = FaultRule.from_json({"path": "re:/ai/v1/users/(a+)+$", "latency_ms": 1}, "f1")
    assert type(rule._pattern).__module__.startswith("re2")
    hostile = "/ai/v1/users/" + "a" * 50_000 + "!"
    assert not rule.matches_request("GET", hostile, None)
    assert rule.matches_request("GET", "/ai/v1/users/aaa", None)


@pytest.mark.parametrize(
    ("pattern", "why"),
    [("re:(a)\\1", "RE2 syntax"), ("re:(?=x)y", "RE2 syntax"), ("re:[", "RE2 syntax"),
     ("re:\ud800", "not valid Unicode")],
)  # fmt: skip
def test_regexes_outside_re2_are_refused_with_the_reason(pattern: str, why: str) -> None:
    with pytest.raises(FaultError, match=why):
        FaultRule.from_json({"path": pattern, "latency_ms": 1}, "f1")


def test_odd_but_valid_json_is_read_as_meant() -> None:
    """Found by schemathesis: a distribution that is an object crashed; 2.0 is 2."""
    with pytest.raises(FaultError, match="distribution must be"):
        FaultRule.from_json({"latency_ms": {"distribution": {}, "median": 1, "sigma": 1}}, "f1")
    rule = FaultRule.from_json({"action": "drop", "times": 3.0, "after": 2.0}, "f1")
    assert (rule.times, rule.after) == (3, 2)
