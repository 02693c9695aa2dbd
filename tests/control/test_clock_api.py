"""The virtual clock over HTTP: read, freeze, set, advance, resume; flags; reset."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.core.clock import parse_instant
from emulator.settings import Settings
from tests.test_cli import running

START = "2025-01-15T02:50:29+00:00"


@pytest.fixture
def frozen() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(clock_start=START, clock_frozen=True))) as client:
        yield client


def _now(client: TestClient) -> datetime:
    return parse_instant(client.get("/_emulator/clock").json()["now"])


def test_get_reports_now_and_whether_frozen(frozen: TestClient) -> None:
    assert frozen.get("/_emulator/clock").json() == {"now": START, "frozen": True}
    assert frozen.get("/_emulator/health").json()["now"] == START


def test_advance_moves_a_frozen_clock_exactly(frozen: TestClient) -> None:
    r = frozen.post("/_emulator/clock", json={"advance": 3600})
    assert r.json() == {"now": "2025-01-15T03:50:29+00:00", "frozen": True}
    frozen.post("/_emulator/clock", json={"advance": 0.5})
    assert _now(frozen) == parse_instant(START) + timedelta(hours=1, seconds=0.5)


def test_set_then_resume_runs_on_from_the_instant(frozen: TestClient) -> None:
    started = time.monotonic()
    r = frozen.post("/_emulator/clock", json={"set": "2030-06-01T00:00:00Z", "resume": True})
    assert r.json()["frozen"] is False
    now = _now(frozen)
    # The virtual clock ran on for no longer than real time did (plus rendering slack).
    ran = now - datetime(2030, 6, 1, tzinfo=UTC)
    assert timedelta(0) <= ran <= timedelta(seconds=time.monotonic() - started + 0.01)


def test_freeze_set_and_advance_combine_in_order() -> None:
    with TestClient(create_app()) as client:
        assert client.get("/_emulator/clock").json()["frozen"] is False
        r = client.post(
            "/_emulator/clock",
            json={"advance": 60, "set": "2025-01-15T02:50:29Z", "freeze": True},
        )
        # freeze, then set, then advance, whatever the order of the keys.
        assert r.json() == {"now": "2025-01-15T02:51:29+00:00", "frozen": True}


def test_every_timestamp_follows_the_clock(frozen: TestClient) -> None:
    frozen.post("/_emulator/clock", json={"advance": 86400})
    frozen.get("/v2/anything")
    entry = frozen.get("/_emulator/requests").json()["requests"][-1]
    assert entry["time"] == "2025-01-16T02:50:29+00:00"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "clock body is an object"),
        ([], "clock body is an object"),
        ({"rewind": 5}, "unknown clock field(s) rewind"),
        ({"freeze": True, "resume": True}, "contradict"),
        ({"freeze": "yes"}, "freeze must be true or false"),
        ({"set": "tomorrow"}, "not an ISO 8601 instant"),
        ({"set": 1736909429}, "set takes an ISO 8601 instant"),
        ({"advance": -1}, "no going back"),
        ({"advance": True}, "advance takes a number"),
        ({"advance": "60"}, "advance takes a number"),
    ],
)
def test_bad_clock_requests_are_400s_that_change_nothing(
    frozen: TestClient, body: object, message: str
) -> None:
    r = frozen.post("/_emulator/clock", json=body)
    assert r.status_code == 400
    assert r.json()["error"] == "bad_request"
    assert message in r.json()["message"]
    assert frozen.get("/_emulator/clock").json() == {"now": START, "frozen": True}


def test_a_clock_request_needs_a_json_body(frozen: TestClient) -> None:
    assert frozen.post("/_emulator/clock").status_code == 400
    assert (
        frozen.post("/_emulator/clock", content=b"{")
        .json()["message"]
        .startswith("body is not valid JSON")
    )


def test_reset_puts_the_clock_back_to_its_start(frozen: TestClient) -> None:
    frozen.post("/_emulator/clock", json={"advance": 99, "resume": True})
    frozen.post("/_emulator/reset?api_key=k1")  # one tenant: the shared clock stays
    assert frozen.get("/_emulator/clock").json()["frozen"] is False
    frozen.post("/_emulator/reset")
    assert frozen.get("/_emulator/clock").json() == {"now": START, "frozen": True}


def test_clock_change_hooks_run(frozen: TestClient) -> None:
    seen: list[str] = []
    rt = frozen.app.state.runtime  # type: ignore[attr-defined]
    rt.on_clock_change.append(lambda: seen.append(rt.clock.now().isoformat()))
    frozen.post("/_emulator/clock", json={"advance": 1})
    assert seen == ["2025-01-15T02:50:30+00:00"]


def test_environment_twins_of_the_clock_flags() -> None:
    settings = Settings.from_env(
        {"EMULATOR_CLOCK_START": "2025-01-15T02:50:29Z", "EMULATOR_CLOCK_FROZEN": "1"}
    )
    assert (settings.clock_start, settings.clock_frozen) == ("2025-01-15T02:50:29Z", True)


def test_clock_flags_on_the_command_line() -> None:
    with running("--port", "0", "--clock-start", "2025-01-15T02:50:29Z", "--freeze-clock") as (
        base,
        _,
    ):
        assert httpx.get(f"{base}/_emulator/clock").json() == {"now": START, "frozen": True}
