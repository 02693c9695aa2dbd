"""EmulatorClient against a live emulator: every group of control calls, typed results,
errors carrying the control body, the token and tenant headers."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from emulator.client import ControlAPIError, EmulatorClient, RequestNotFound, WaitTimeout
from emulator.core.secrets import mask
from emulator.settings import Settings
from emulator.testing import EmulatorServer, speech_wav
from tests.core.test_outbox import Receiver

KEY = "client-key"


@pytest.fixture
def emulator_settings() -> Settings:
    # The dotted form, as a user's conftest would write it.
    return Settings(clock_frozen=True, clock_start="2025-01-15T02:50:29Z").with_dotted(
        {"kintsugi.min_voice_seconds": "0"}
    )


@pytest.fixture
def emu(emulator_server: EmulatorServer) -> Iterator[EmulatorClient]:
    with EmulatorClient(emulator_server.base_url, api_key=KEY) as client:
        yield client


@pytest.fixture
def vendor(emulator_server: EmulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator_server.base_url, headers={"x-api-key": KEY}) as http:
        yield http


def _kintsugi_session(vendor: httpx.Client, user_id: str = "patient-1") -> str:
    r = vendor.post("/v2/initiate", json={"user_id": user_id, "is_initiated": True})
    assert r.status_code == 201, r.text
    session_id: str = r.json()["session_id"]
    return session_id


def test_health_scenarios_tenants(emu: EmulatorClient) -> None:
    health = emu.health()
    assert health["status"] == "ok"
    assert {a["name"] for a in health["apis"]} == {"asleep", "kintsugi"}
    assert any(s["name"] == "kintsugi-force-label" for s in emu.scenarios())
    assert emu.tenants()["open"] is True
    assert "/_emulator/health" in emu.openapi()["paths"]


def test_reset_names_the_bound_tenant_and_an_unbound_client_resets_all(
    emu: EmulatorClient,
) -> None:
    assert emu.reset() == {"reset": "tenant", "api_key": mask(KEY)}
    assert emu.with_api_key(None).reset() == {"reset": "all", "api_key": None}
    assert emu.reset(api_key="other") == {"reset": "tenant", "api_key": mask("other")}


def test_clock_and_progression(emu: EmulatorClient) -> None:
    assert emu.clock() == {"now": "2025-01-15T02:50:29+00:00", "frozen": True}
    assert emu.advance_clock(60)["now"] == "2025-01-15T02:51:29+00:00"
    assert emu.freeze_clock(at="2025-02-01T00:00:00Z")["now"].startswith("2025-02-01")
    with pytest.raises(ValueError, match="say what to change"):
        emu.set_clock()
    policies = emu.set_progression("kintsugi", "manual")
    assert policies["kintsugi"]["mode"] == "manual"
    assert emu.progression()["kintsugi"]["mode"] == "manual"


def test_forced_outcome_manual_progression_and_advance(
    emu: EmulatorClient, vendor: httpx.Client
) -> None:
    emu.set_progression("kintsugi", "manual")
    entry = emu.force_outcome(user_id="patient-1", depression_severity="moderate_to_severe")
    assert entry == {
        "key": "user:patient-1",
        "outcome": {"depression_severity": "moderate_to_severe"},
    }
    assert emu.kintsugi_outcomes() == [entry]
    sid = _kintsugi_session(vendor)
    r = vendor.post(
        "/v2/predict/depression/severity",
        data={"session_id": sid},
        files={"file": ("a.wav", speech_wav(1, engine="synthetic"), "audio/wav")},
    )
    assert r.status_code == 202, r.text
    assert [s["status"] for s in emu.kintsugi_sessions()] == ["processing"]
    assert emu.kintsugi_advance() == [sid]
    record = vendor.get(f"/v2/predict/sessions/{sid}").json()
    assert record["status"] == "success"
    assert emu.clear_outcome(user_id="patient-1") is True
    with pytest.raises(ValueError, match="exactly one"):
        emu.clear_outcome()


def test_faults_are_scoped_to_the_bound_tenant(emu: EmulatorClient) -> None:
    emu.with_api_key(None).add_fault(action="throttle", path="/v1/*", api_key="someone-else")
    rule = emu.add_fault({"action": "error", "path": "/v2/*"}, status=500)
    assert rule["api_key"] == mask(KEY)
    assert emu.fault(rule["id"])["action"] == "error"
    replaced = emu.set_faults([{"action": "latency", "latency_ms": 1}])
    assert [r["action"] for r in replaced] == ["latency"]
    assert [r["api_key"] for r in emu.faults()] == [mask(KEY)]  # the bound tenant's only
    assert sorted(r["api_key"] or "" for r in emu.with_api_key(None).faults()) == sorted(
        [mask(KEY), mask("someone-else")]
    )
    assert emu.clear_faults() == 1
    everyone = emu.with_api_key(None)  # another tenant's rule is not the bound tenant's
    assert everyone.delete_fault(everyone.faults()[0]["id"]) == 1


def test_errors_carry_the_control_error_body(emu: EmulatorClient) -> None:
    with pytest.raises(ControlAPIError) as caught:
        emu.add_fault(action="explode")
    assert caught.value.status_code == 400
    assert caught.value.error == "bad_request"
    assert "action must be one of" in caught.value.message
    assert caught.value.body == {"error": "bad_request", "message": caught.value.message}
    assert "POST" in str(caught.value)
    with pytest.raises(ControlAPIError) as missing:
        emu.fault("nope")
    assert (missing.value.status_code, missing.value.error) == (404, "not_found")


def test_journal_and_assert_requested(emu: EmulatorClient, vendor: httpx.Client) -> None:
    _kintsugi_session(vendor)
    vendor.get("/v2/predict/users/patient-1")
    assert [e["path"] for e in emu.requests()] == ["/v2/initiate", "/v2/predict/users/patient-1"]
    assert len(emu.requests(method="post")) == 1
    found = emu.assert_requested("POST", "/v2/initiate", api_key=KEY, count=1)
    assert found[0]["status"] == 201
    emu.assert_requested("get", "/v2/predict/users/*")
    emu.assert_not_requested("POST", "/v1/initiate")
    assert emu.clear_requests() == 2


def test_list_filters_are_declared_once_and_checked(
    emu: EmulatorClient, vendor: httpx.Client
) -> None:
    _kintsugi_session(vendor)
    vendor.get("/v2/predict/users/patient-1")
    got = emu.requests(path_prefix="/v2/predict/", limit=5, api_key=KEY, faulted=False)
    assert [e["path"] for e in got] == ["/v2/predict/users/patient-1"]
    assert emu.requests(vendor="asleep") == []
    assert emu.callbacks(session_id="no-such-session", limit=1) == []
    with pytest.raises(TypeError, match="unknown filter path; known: limit, api_key, method"):
        emu.requests(path="/v2/initiate")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unknown filter session"):
        emu.callbacks(session="s")  # type: ignore[call-arg]


def test_assert_requested_lists_the_nearest_requests(
    emu: EmulatorClient, vendor: httpx.Client
) -> None:
    _kintsugi_session(vendor)
    vendor.get("/v2/predict/users/patient-1")
    vendor.get("/ai/v1/users/someone")
    with pytest.raises(RequestNotFound) as caught:
        emu.assert_requested("POST", "/v2/initiate/", api_key="other-key")
    message = str(caught.value)
    lines = message.splitlines()
    assert lines[0] == "Expected POST /v2/initiate/ with X-API-Key 'other-key' at least once."
    assert "Nearest requests received (closest first):" in lines
    nearest = lines[lines.index("Nearest requests received (closest first):") + 1]
    assert "POST /v2/initiate" in nearest
    assert "path /v2/initiate, expected /v2/initiate/" in nearest
    assert f"X-API-Key {mask(KEY)!r}, expected {mask('other-key')!r}" in nearest
    assert message.index("/v2/predict/users") < message.index("/ai/v1/users")
    assert isinstance(caught.value, AssertionError)


def test_a_request_under_another_key_is_a_near_miss(
    emu: EmulatorClient, emulator_server: EmulatorServer
) -> None:
    httpx.post(
        f"{emulator_server.base_url}/v2/initiate",
        headers={"x-api-key": "someone-else"},
        json={"user_id": "p", "is_initiated": True},
    )
    with pytest.raises(RequestNotFound) as caught:
        emu.assert_requested("POST", "/v2/initiate")  # the bound tenant, by default
    assert f"X-API-Key {mask('someone-else')!r}, expected {mask(KEY)!r}" in str(caught.value)
    assert emu.with_api_key(None).assert_requested("POST", "/v2/initiate")


def test_assert_requested_with_a_wrong_count_lists_what_matched(
    emu: EmulatorClient, vendor: httpx.Client
) -> None:
    _kintsugi_session(vendor)
    _kintsugi_session(vendor)
    with pytest.raises(RequestNotFound, match="Received 2 times") as caught:
        emu.assert_requested("POST", "/v2/initiate", count=1)
    assert "exactly once" in str(caught.value)
    emu.clear_requests()
    with pytest.raises(RequestNotFound, match="journal is empty"):
        emu.assert_requested("POST", "/v2/initiate")


def test_synthetic_night_deliveries_wait_for_redeliver_and_failure_switch(
    emu: EmulatorClient, vendor: httpx.Client
) -> None:
    user = vendor.post("/ai/v1/users").json()["result"]["user_id"]
    assert emu.set_asleep_profile(user, "insomnia")["source"] == "control"
    with Receiver() as receiver:
        switch = emu.set_failure_switch("duplicate", remaining=1)
        assert switch is not None
        assert switch["api_key"] == mask(KEY)
        assert emu.failure_switches() == [switch]
        night = emu.synthetic_night(user, receiver.url, hours=2, version="V3")
        assert night["profile"] == "insomnia"
        done = emu.wait_for("SESSION_COMPLETE", timeout=20)
        assert done[0]["session_id"] == night["session_id"]
        assert emu.flush(10)["idle"] is True
        again = emu.redeliver(done[0]["id"])
        assert again["redelivery_of"] == done[0]["id"]
        emu.wait_for(predicate=lambda d: d["redelivery_of"] == done[0]["id"], timeout=20)
        assert emu.callback(again["id"])["event"] == "SESSION_COMPLETE"
        assert emu.clear_failure_switch() is False  # used up by its one duplicate
    with pytest.raises(WaitTimeout, match=r"waited 0\.1 s for 1 NOPE") as caught:
        emu.wait_for("NOPE", timeout=0.1)
    assert caught.value.seen
    assert emu.clear_callbacks() >= 1


def test_hypnogram_and_complete(emu: EmulatorClient, vendor: httpx.Client) -> None:
    user = vendor.post("/ai/v1/users").json()["result"]["user_id"]
    headers = {"x-user-id": user}
    r = vendor.post("/ai/v1/sessions", headers=headers, json={"start_time": "2025-01-14T22:00Z"})
    sid = r.json()["result"]["session_id"]
    result = emu.set_hypnogram(sid, [0] * 30 + [1] * 60 + [2] * 30)
    assert result["epochs"] == 120
    emu.delete_hypnogram(sid)
    with pytest.raises(ControlAPIError) as caught:
        emu.complete_asleep_session("no-such-session")
    assert caught.value.status_code == 404
    assert emu.asleep_profile(user)["user_id"] == user


def test_snapshot_restore_and_demo(emu: EmulatorClient, vendor: httpx.Client) -> None:
    _kintsugi_session(vendor)
    document = emu.snapshot()
    emu.reset()
    restored = emu.restore(document)
    assert restored["restored"] == "tenant"
    assert restored["tenants"] == [mask(KEY)]
    summary = emu.load_demo(api_key="demo-key")
    assert summary["api_key"] == mask("demo-key")


def test_token_and_tenant_travel_as_headers() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"reset": "tenant", "api_key": "k"})

    with EmulatorClient(
        "http://127.0.0.1:1", token="s3cret", api_key="k", transport=httpx.MockTransport(answer)
    ) as emu:
        emu.reset()
    assert seen[0].headers["authorization"] == "Bearer s3cret"
    assert seen[0].headers["x-api-key"] == "k"
    assert "api_key" not in str(seen[0].url)


def test_bad_construction() -> None:
    with pytest.raises(ValueError, match="http"):
        EmulatorClient("localhost:8080")
    with pytest.raises(ValueError, match="empty"):
        EmulatorClient("http://127.0.0.1:1", api_key="")
    with EmulatorClient("http://127.0.0.1:1") as emu, pytest.raises(ValueError, match="empty"):
        emu.with_api_key("")


def test_a_rebound_client_shares_and_leaves_open_the_connections() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        named = request.headers["x-api-key"]
        return httpx.Response(200, json={"reset": "tenant", "api_key": named})

    with EmulatorClient("http://127.0.0.1:1", transport=httpx.MockTransport(answer)) as emu:
        other = emu.with_api_key("other")
        assert (other.api_key, other.base_url, emu.api_key) == ("other", emu.base_url, None)
        assert other.reset()["api_key"] == "other"
        other.close()  # the original's connections: still usable
        assert other.with_api_key("third").reset()["api_key"] == "third"
