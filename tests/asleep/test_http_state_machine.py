"""A stateful property test of the Session and Data APIs over (in-process) HTTP.

Hypothesis creates sessions, uploads chunks in any order (retries, gaps, the 24-hour
``seq_num`` cap), closes them normally or unexpectedly and reads them back; a small
reference model says what every response must be.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.asleep.events import analysed_epochs
from tests.asleep.conftest import Api, settings_for


@dataclass
class Model:
    session_id: str
    received: set[int] = field(default_factory=set)
    state: str = "OPEN"
    unexpected: bool = False

    @property
    def span(self) -> int:
        return max(self.received) + 1 if self.received else 0


class SessionMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.client = TestClient(create_app(settings_for()))
        self.client.__enter__()
        self.api = Api(self.client)
        self.user = self.api.user()
        self.sessions: list[Model] = []

    def teardown(self) -> None:
        self.client.__exit__(None, None, None)

    @property
    def current(self) -> Model | None:
        return self.sessions[-1] if self.sessions else None

    @rule()
    def create(self) -> None:
        for old in self.sessions:
            if old.state == "OPEN":  # the default policy ends the other session
                old.state, old.unexpected = "COMPLETE", True
        self.sessions.append(Model(self.api.session(self.user)))

    @precondition(lambda self: self.sessions)
    @rule(
        seq=st.one_of(st.integers(0, 70), st.just(2880)),
        which=st.sampled_from(["current", "first"]),
    )
    def upload(self, seq: int, which: str) -> None:
        model = self.sessions[-1] if which == "current" else self.sessions[0]
        r = self.api.upload(self.user, model.session_id, seq)
        if model.state != "OPEN":
            assert (r.status_code, r.json()) == (403, {"detail": "Session already terminated"})
        elif seq >= 2880:
            assert r.status_code == 403
            model.state, model.unexpected = "COMPLETE", True
        else:
            assert r.status_code == 200, r.text
            model.received.add(seq)

    @precondition(lambda self: self.sessions)
    @rule(unexpected=st.booleans())
    def close(self, unexpected: bool) -> None:
        model = self.sessions[-1]
        r = self.api.close(self.user, model.session_id, **({"unexpected": 1} if unexpected else {}))
        if model.state != "OPEN":
            assert (r.status_code, r.json()) == (403, {"detail": "Sleep session has already ended"})
        else:
            assert r.status_code == 200
            model.state, model.unexpected = "COMPLETE", unexpected

    @precondition(lambda self: self.sessions)
    @rule(index=st.integers(0, 10))
    def read(self, index: int) -> None:
        model = self.sessions[index % len(self.sessions)]
        result = self.api.result(self.user, model.session_id)
        s = result["session"]
        assert s["state"] == model.state
        assert (s["unexpected_end_time"] is not None) == model.unexpected
        stages = s["sleep_stages"]
        if model.state == "OPEN":
            assert result["peculiarities"] == ["IN_PROGRESS"]
            analysed = analysed_epochs(model.span, 5)
            assert (stages is None) if analysed == 0 else (len(stages) == analysed)
            return
        assert len(stages) == model.span
        assert {i for i, v in enumerate(stages) if v == -1} == set(
            range(model.span)
        ) - model.received
        assert ("TOO_SHORT_FOR_ANALYSIS" in result["peculiarities"]) == (model.span < 40)
        assert (result["stat"] is None) == (model.span < 40 or result["missing_data_ratio"] > 0.3)

    @invariant()
    def at_most_one_open(self) -> None:
        r = self.client.get("/data/v1/sessions", headers=self.api.headers(self.user))
        listed = r.json()["result"]["sleep_session_list"] if self.sessions else []
        assert sum(1 for item in listed if item["state"] == "OPEN") <= 1
        by_id: dict[str, Any] = {item["session_id"]: item for item in listed}
        for model in self.sessions[-20:]:
            item = by_id.get(model.session_id)
            if item is not None:
                expected = max(model.received) if model.received else None
                assert item["last_received_seq_num"] == expected


SessionMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=30, deadline=None)
TestSessions = SessionMachine.TestCase
