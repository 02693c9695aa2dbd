"""Property: any sequence of initiate / predict / feedback / get calls, over v1 and v2,
keeps the invariants of a Kintsugi session:

* one prediction per session (a second submit is 409 ``existent_session``);
* feedback lands only on sessions that exist and have a prediction;
* the by-user listing equals that user's sessions with a prediction, in creation order;
* every answer is the one a model of the rules predicts, status and error code included.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from starlette.testclient import TestClient

from emulator.app import create_app
from tests.kintsugi.conftest import AUTH
from tests.kintsugi.conftest import settings as emulator_settings
from tests.support.wavs import noise_wav, stereo_wav

USERS = ("ann", "ben", "emu-result:true")
GOOD, BAD = noise_wav(3, seconds=0.1), stereo_wav(seconds=0.1)
SUBMITS = {
    1: ("/v1/predict/server/depression/binary", "/v1/predict/server/depression/severity"),
    2: (
        "/v2/prediction/",
        "/v2/predict/depression/binary",
        "/v2/predict/depression/severity",
        "/v2/predict/anxiety/severity",
    ),
}
FEEDBACK = {
    1: {
        "depression_binary": ("/v1/feedback/server/depression/binary", "true"),
        "phq_2": ("/v1/feedback/server/phq/2", [1, 2]),
        "phq_9": ("/v1/feedback/server/phq/9", [0] * 9),
    },
    2: {
        "depression_binary": ("/v2/feedback/depression/binary", "false"),
        "phq_2": ("/v2/feedback/phq/2", [3, 3]),
        "phq_9": ("/v2/feedback/phq/9", [1] * 9),
        "gad_7": ("/v2/feedback/gad/7", [2] * 7),
    },
}
UNKNOWN = "00000000-0000-4000-8000-000000000000"
versions = st.sampled_from([1, 2])


@dataclass
class Expected:
    user: str
    consent: bool
    predicted: bool = False
    failed: bool = False
    feedback: set[str] = field(default_factory=set)


def body_key(version: int) -> str:
    return "error" if version == 1 else "message"


class KintsugiSessions(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.client = TestClient(create_app(emulator_settings()))
        self.client.__enter__()
        self.sessions: dict[str, Expected] = {}
        self.order: list[str] = []

    def teardown(self) -> None:
        self.client.__exit__(None, None, None)

    def _pick(self, data: st.DataObject) -> str:
        return data.draw(st.sampled_from([*self.order, UNKNOWN]))

    def _refusal(self, sid: str, *, needs_prediction: bool) -> tuple[int, str] | None:
        expected = self.sessions.get(sid)
        if expected is None or not expected.consent:
            return 404, "nonexistent_initiation"
        if needs_prediction and not expected.predicted:
            return 404, "nonexistent_prediction"
        return None

    @rule(user=st.sampled_from(USERS), consent=st.booleans(), version=versions)
    def initiate(self, user: str, consent: bool, version: int) -> None:
        if version == 1:
            r = self.client.post(
                "/v1/initiate",
                headers=AUTH,
                data={"user_id": user, "is_initiated": str(consent).lower()},
            )
        else:
            r = self.client.post(
                "/v2/initiate", headers=AUTH, json={"user_id": user, "is_initiated": consent}
            )
        if not consent:  # seed 002: "a session is not created"
            assert (r.status_code, r.json()) == (406, {body_key(version): "consent_not_provided"})
            return
        assert r.status_code == (200 if version == 1 else 201)
        sid = r.json()["session_id"]
        assert sid not in self.sessions
        self.sessions[sid] = Expected(user, consent)
        self.order.append(sid)

    @rule(data=st.data(), version=versions, which=st.integers(0, 3), bad=st.booleans())
    def predict(self, data: st.DataObject, version: int, which: int, bad: bool) -> None:
        sid = self._pick(data)
        path = SUBMITS[version][which % len(SUBMITS[version])]
        r = self.client.post(
            path,
            headers=AUTH,
            data={"session_id": sid},
            files={"file": ("a.wav", BAD if bad else GOOD)},
        )
        refusal = self._refusal(sid, needs_prediction=False)
        if refusal is None and self.sessions[sid].predicted:
            refusal = (409, "existent_session")
        if refusal is None and bad and version == 1:
            refusal = (422, "unsupported_audio_spec")  # v1 rejects; the session stays open
        if refusal is not None:
            assert (r.status_code, r.json()) == (refusal[0], {body_key(version): refusal[1]})
            return
        assert r.status_code == (201 if version == 1 else 202), r.text
        self.sessions[sid].predicted = True
        self.sessions[sid].failed = bad  # v2 default: a failed record

    @rule(data=st.data(), version=versions, kind=st.sampled_from(sorted(FEEDBACK[2])))
    def feedback(self, data: st.DataObject, version: int, kind: str) -> None:
        if kind not in FEEDBACK[version]:
            kind = "phq_2"
        sid = self._pick(data)
        path, value = FEEDBACK[version][kind]
        if version == 1 and kind == "depression_binary":
            r = self.client.patch(
                path, headers=AUTH, data={"session_id": sid, "actual_score": value}
            )
        else:
            field_name = "actual_score" if version == 1 else "data"
            r = self.client.patch(path, headers=AUTH, json={"session_id": sid, field_name: value})
        refusal = self._refusal(sid, needs_prediction=True)
        if refusal is not None:
            assert (r.status_code, r.json()) == (refusal[0], {body_key(version): refusal[1]})
            return
        assert r.status_code == 200, r.text
        self.sessions[sid].feedback.add(kind)

    @rule(data=st.data())
    def get_session(self, data: st.DataObject) -> None:
        sid = self._pick(data)
        r = self.client.get(f"/v2/predict/sessions/{sid}", headers=AUTH)
        refusal = self._refusal(sid, needs_prediction=True)
        if refusal is not None:
            assert (r.status_code, r.json()) == (refusal[0], {"message": refusal[1]})
            return
        assert r.status_code == 200
        body = r.json()
        expected = self.sessions[sid]
        assert body["status"] in ("processing", "failed" if expected.failed else "success")
        assert set(body.get("actual_score", {})) == expected.feedback

    @rule(user=st.sampled_from((*USERS, "nobody")))
    def get_user(self, user: str) -> None:
        r = self.client.get(f"/v2/predict/users/{user}", headers=AUTH)
        assert r.status_code == 200
        listed = [item["session_id"] for item in r.json()]
        wanted = [
            s for s in self.order if self.sessions[s].user == user and self.sessions[s].predicted
        ]
        assert listed == wanted

    @invariant()
    def state_matches_the_model(self) -> None:
        r = self.client.get("/_emulator/kintsugi/sessions", headers=AUTH)
        actual = {s["session_id"]: s for s in r.json()["sessions"]}
        assert list(actual) == self.order
        for sid, session in actual.items():
            expected = self.sessions[sid]
            assert (session["prediction"] is not None) == expected.predicted
            assert set(session["feedback"]) == expected.feedback
            if session["feedback"]:
                assert session["prediction"] is not None  # feedback only on predictions


KintsugiSessions.TestCase.settings = settings(
    max_examples=40, stateful_step_count=25, deadline=None
)
TestKintsugiSessions = KintsugiSessions.TestCase
