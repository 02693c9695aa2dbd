"""Forcing outcomes: magic user_ids, the /_emulator/kintsugi controls, scenarios listing."""

from __future__ import annotations

import httpx2
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from emulator.kintsugi.errors import AUDIO_CODES
from emulator.kintsugi.outcomes import (
    LABEL_FIELDS,
    NO_OUTCOME,
    Outcome,
    parse_user_id,
    stray_directives,
)
from tests.kintsugi.conftest import AUTH, finished, initiate, record, submit
from tests.support.wavs import noise_wav


def v1_predict(client: TestClient, sid: str, model: str = "severity") -> httpx2.Response:
    return client.post(
        f"/v1/predict/server/depression/{model}",
        headers=AUTH,
        data={"session_id": sid},
        files={"file": ("a.wav", noise_wav())},
    )


# -- the magic user_id grammar ----------------------------------------------------


def test_parse_user_id_examples() -> None:
    assert parse_user_id("patient-1") is NO_OUTCOME
    assert parse_user_id("emu-12345") is NO_OUTCOME  # not a directive shape
    assert parse_user_id("clinic+emu-result:moderate_to_severe+emu-result:severe") == Outcome(
        depression_severity="moderate_to_severe", anxiety_severity="severe"
    )
    assert parse_user_id("emu-result:additional_consideration_required") == Outcome(
        depression_binary="additional_consideration_required"
    )
    assert parse_user_id("emu-error:unstandard_audio+emu-hold") == Outcome(
        error="unstandard_audio", hold=True
    )


@pytest.mark.parametrize(
    "bad",
    ["emu-result:meh", "emu-result", "emu-error:boom", "emu-hold:yes", "emu-reslt:true", "emu-x"],
)
def test_near_directives_are_plain_text_and_named(bad: str) -> None:
    """Control syntax never fails a vendor request: a typo is text, reported as stray."""
    assert parse_user_id(f"p+{bad}") is NO_OUTCOME
    assert parse_user_id(f"p+{bad}+emu-hold") == Outcome(hold=True)
    assert stray_directives(f"p+{bad}+emu-hold") == [bad]


@pytest.mark.parametrize("user_id", ["emu-patient", "emu-reslt:true", "a+emu-result:meh"])
def test_a_stray_directive_never_fails_initiate(emulator_client: TestClient, user_id: str) -> None:
    for path, kwargs in (
        ("/v1/initiate", {"data": {"user_id": user_id, "is_initiated": "true"}}),
        ("/v2/initiate", {"json": {"user_id": user_id, "is_initiated": True}}),
    ):
        r = emulator_client.post(path, headers=AUTH, **kwargs)
        assert r.status_code in (200, 201), r.text
        assert set(r.json()) == {"session_id"}
        assert "emulator directives" in r.headers["x-emulator-warning"]
    r = emulator_client.post(
        "/v2/initiate", headers=AUTH, json={"user_id": "ok", "is_initiated": True}
    )
    assert "x-emulator-warning" not in r.headers


@given(st.text(max_size=40).filter(lambda t: "emu-" not in t))
def test_ordinary_ids_are_never_directives(text: str) -> None:
    assert parse_user_id(text) is NO_OUTCOME


all_labels = st.sampled_from([(f, label) for f, labels in LABEL_FIELDS.items() for label in labels])


@given(st.lists(all_labels, max_size=4), st.sampled_from([None, *AUDIO_CODES]), st.booleans())
def test_directives_round_trip(
    labels: list[tuple[str, str]], error: str | None, hold: bool
) -> None:
    parts = ["someone"] + [f"emu-result:{label}" for _, label in labels]
    if error:
        parts.append(f"emu-error:{error}")
    if hold:
        parts.append("emu-hold")
    expected = Outcome(**dict(labels), error=error, hold=True if hold else None)
    assert parse_user_id("+".join(parts)) == (NO_OUTCOME if expected.empty else expected)
    assert Outcome.from_json(expected.to_json()) == expected


def test_outcome_json_is_validated() -> None:
    with pytest.raises(ValueError, match="unknown outcome fields"):
        Outcome.from_json({"depression": "true"})
    with pytest.raises(ValueError, match="depression_binary"):
        Outcome.from_json({"depression_binary": "maybe"})
    with pytest.raises(ValueError, match="hold"):
        Outcome.from_json({"hold": "yes"})
    with pytest.raises(ValueError, match="object"):
        Outcome.from_json(["error"])


# -- magic user_ids over HTTP -----------------------------------------------------


@pytest.mark.parametrize("label", ["no_to_mild", "mild_to_moderate", "moderate_to_severe"])
def test_magic_result_forces_v1_severity(emulator_client: TestClient, label: str) -> None:
    for n in range(3):
        r = emulator_client.post(
            "/v1/initiate",
            headers=AUTH,
            data={"user_id": f"p{n}+emu-result:{label}", "is_initiated": "true"},
        )
        r = v1_predict(emulator_client, r.json()["session_id"])
        assert r.json()["data"]["name"] == label


def test_magic_result_forces_v2_unified_and_binary(emulator_client: TestClient) -> None:
    user = "emu-result:moderate_to_severe+emu-result:no_or_minimal+emu-result:false"
    sid = initiate(emulator_client, user)
    submit(emulator_client, sid)
    body = finished(emulator_client, sid)
    assert (body["predicted_score_depression"], body["predicted_score_anxiety"]) == (
        "moderate_to_severe",
        "no_or_minimal",
    )
    sid = initiate(emulator_client, user)
    submit(emulator_client, sid, path="/v2/predict/depression/binary")
    assert finished(emulator_client, sid)["predicted_score_depression"] == "false"


@pytest.mark.parametrize("code", AUDIO_CODES)
def test_magic_error(emulator_client: TestClient, code: str) -> None:
    r = emulator_client.post(
        "/v1/initiate", headers=AUTH, data={"user_id": f"emu-error:{code}", "is_initiated": "true"}
    )
    r = v1_predict(emulator_client, r.json()["session_id"])
    assert (r.status_code, r.json()) == (422, {"error": code})
    sid = initiate(emulator_client, f"emu-error:{code}")
    submit(emulator_client, sid)
    body = finished(emulator_client, sid)
    assert body["status"] == "failed"
    assert body["predict_error"]["error"] == code  # type: ignore[index]


def test_magic_hold_until_advanced(emulator_client: TestClient) -> None:
    sid = initiate(emulator_client, "emu-hold")
    submit(emulator_client, sid)
    assert [record(emulator_client, sid)["status"] for _ in range(5)] == ["processing"] * 5
    r = emulator_client.post("/_emulator/kintsugi/advance", headers=AUTH)
    assert r.json() == {"advanced": [sid]}
    assert record(emulator_client, sid)["status"] == "success"
    assert emulator_client.post("/_emulator/kintsugi/advance", headers=AUTH).json() == {
        "advanced": []
    }


# -- control endpoints ------------------------------------------------------------


def test_outcome_by_user_then_session_precedence(emulator_client: TestClient) -> None:
    r = emulator_client.put(
        "/_emulator/kintsugi/outcomes/users/alice",
        headers=AUTH,
        json={"depression_severity": "mild_to_moderate", "anxiety_severity": "mild"},
    )
    assert r.status_code == 200
    assert r.json() == {
        "key": "user:alice",
        "outcome": {"depression_severity": "mild_to_moderate", "anxiety_severity": "mild"},
    }
    plain, special = initiate(emulator_client, "alice"), initiate(emulator_client, "alice")
    r = emulator_client.put(
        f"/_emulator/kintsugi/outcomes/sessions/{special}",
        headers=AUTH,
        json={"anxiety_severity": "severe"},
    )
    assert r.status_code == 200
    for sid in (plain, special):
        submit(emulator_client, sid)
    assert finished(emulator_client, plain)["predicted_score_anxiety"] == "mild"
    body = finished(emulator_client, special)
    assert (body["predicted_score_depression"], body["predicted_score_anxiety"]) == (
        "mild_to_moderate",
        "severe",
    )
    listed = emulator_client.get("/_emulator/kintsugi/outcomes", headers=AUTH).json()["outcomes"]
    assert [o["key"] for o in listed] == ["user:alice", f"session:{special}"]


def test_control_outcome_beats_magic_user_id(emulator_client: TestClient) -> None:
    user = "emu-result:true"
    emulator_client.put(
        f"/_emulator/kintsugi/outcomes/users/{user}",
        headers=AUTH,
        json={"depression_binary": "false"},
    )
    sid = initiate(emulator_client, user)
    submit(emulator_client, sid, path="/v2/predict/depression/binary")
    assert finished(emulator_client, sid)["predicted_score_depression"] == "false"


def test_outcome_error_by_session(emulator_client: TestClient) -> None:
    sid = initiate(emulator_client)
    emulator_client.put(
        f"/_emulator/kintsugi/outcomes/sessions/{sid}",
        headers=AUTH,
        json={"error": "insufficient_audio_length"},
    )
    r = v1_predict(emulator_client, sid)
    assert (r.status_code, r.json()) == (422, {"error": "insufficient_audio_length"})


def test_delete_outcome(emulator_client: TestClient) -> None:
    url = "/_emulator/kintsugi/outcomes/users/bob"
    emulator_client.put(url, headers=AUTH, json={"error": "unstandard_audio"})
    assert emulator_client.delete(url, headers=AUTH).json() == {"key": "user:bob", "deleted": True}
    assert emulator_client.delete(url, headers=AUTH).json() == {"key": "user:bob", "deleted": False}
    sid = initiate(emulator_client, "bob")
    assert v1_predict(emulator_client, sid).status_code == 201
    # PUT of an empty outcome clears too.
    emulator_client.put(url, headers=AUTH, json={"hold": True})
    emulator_client.put(url, headers=AUTH, json={})
    assert emulator_client.get("/_emulator/kintsugi/outcomes", headers=AUTH).json() == {
        "outcomes": []
    }


def test_control_errors(emulator_client: TestClient) -> None:
    r = emulator_client.put("/_emulator/kintsugi/outcomes/users/x", json={"hold": True})
    assert r.status_code == 400
    assert r.json()["error"] == "missing_api_key"
    r = emulator_client.put(
        "/_emulator/kintsugi/outcomes/users/x", headers=AUTH, json={"depression_severity": "bad"}
    )
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_outcome"
    r = emulator_client.put(
        "/_emulator/kintsugi/outcomes/sessions/nope", headers=AUTH, json={"hold": True}
    )
    assert r.status_code == 404
    sid = initiate(emulator_client)
    submit(emulator_client, sid)
    r = emulator_client.put(
        f"/_emulator/kintsugi/outcomes/sessions/{sid}", headers=AUTH, json={"hold": True}
    )
    assert r.status_code == 409
    r = emulator_client.put("/_emulator/kintsugi/outcomes/groups/x", headers=AUTH, json={})
    assert r.status_code == 404


def test_outcomes_are_per_api_key(emulator_client: TestClient) -> None:
    emulator_client.put(
        "/_emulator/kintsugi/outcomes/users/u",
        headers={"X-API-Key": "other"},
        json={"error": "unstandard_audio"},
    )
    sid = initiate(emulator_client, "u")
    assert v1_predict(emulator_client, sid).status_code == 201


def test_sessions_inspection(emulator_client: TestClient) -> None:
    sid = initiate(emulator_client, "carol")
    other = initiate(emulator_client, "carol")
    submit(emulator_client, sid)
    # Without consent no session is created (seed 002), so there is nothing to list.
    r = emulator_client.post(
        "/v2/initiate", headers=AUTH, json={"user_id": "carol", "is_initiated": False}
    )
    assert r.status_code == 406
    sessions = emulator_client.get("/_emulator/kintsugi/sessions", headers=AUTH).json()["sessions"]
    assert [(s["session_id"], s["status"]) for s in sessions] == [
        (sid, "processing"),
        (other, "initiated"),
    ]


def test_scenarios_are_listed(emulator_client: TestClient) -> None:
    scenarios = emulator_client.get("/_emulator/scenarios").json()["scenarios"]
    ours = {s["name"]: s for s in scenarios if s["api"] == "kintsugi"}
    assert {
        "kintsugi-force-label",
        "kintsugi-force-audio-error",
        "kintsugi-hold-processing",
        "kintsugi-outcome-by-user",
        "kintsugi-outcome-by-session",
        "kintsugi-advance",
        "kintsugi-sessions",
    } <= set(ours)
    for s in ours.values():
        assert s["kind"] in ("magic-input", "control")
        assert s["description"]
        assert s["example"]
