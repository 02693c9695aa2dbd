"""Browsing a tenant's Kintsugi sessions over the control API (emulator.kintsugi.control)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.bench.flows import speech_wav
from emulator.kintsugi.models import state_of
from emulator.settings import KintsugiSettings, Settings

KEY = "clinic"
H = {"x-api-key": KEY}


@pytest.fixture
def client() -> Iterator[TestClient]:
    settings = Settings(
        seed=3,
        clock_start="2025-03-01T12:00:00Z",
        clock_frozen=True,
        kintsugi=KintsugiSettings(min_voice_seconds=1.0),
    )
    with TestClient(create_app(settings)) as found:
        yield found


def _initiate(client: TestClient, user: str, consent: bool = True) -> str:
    if not consent:
        # The API creates no session without consent (406); a state file written before
        # that change may still hold one, which the controls show as `no_consent`.
        rt = client.app.state.runtime  # type: ignore[attr-defined]
        made = state_of(rt.store.namespace(KEY)).initiate(
            seed=3,
            user_id=user,
            consent=False,
            metadata={},
            api_version=2,
            now=rt.clock.timestamp(),
        )
        return made.session_id
    body = {"user_id": user, "is_initiated": consent, "metadata": {"age": 40}}
    session_id: str = client.post("/v2/initiate", headers=H, json=body).json()["session_id"]
    return session_id


def _sessions(client: TestClient, **params: Any) -> dict[str, Any]:
    found: dict[str, Any] = client.get(
        "/_emulator/kintsugi/sessions", headers=H, params=params
    ).json()
    return found


def test_one_session_shows_prediction_audio_verdict_and_feedback(client: TestClient) -> None:
    session = _initiate(client, "patient-9+emu-result:moderate_to_severe")
    audio = speech_wav(3.0, 16000)
    predicted = client.post(
        "/v2/prediction/",
        headers=H,
        data={"session_id": session},
        files={"file": ("a.wav", audio, "audio/wav")},
    )
    assert predicted.status_code == 202
    processing = client.get(f"/_emulator/kintsugi/sessions/{session}", headers=H).json()
    assert processing["status"] == "processing"
    assert processing["prediction"]["scores"] == {"depression": None, "anxiety": None}
    # Looking did not count as the client's poll.
    assert processing["prediction"]["polls"] == 0
    client.get(f"/v2/predict/sessions/{session}", headers=H)
    client.patch("/v2/feedback/phq/9", headers=H, json={"session_id": session, "data": [1] * 9})
    found = client.get(f"/_emulator/kintsugi/sessions/{session}", headers=H).json()
    assert found["status"] == "success"
    prediction = found["prediction"]
    assert prediction["model"] == "unified"
    assert prediction["model_granularity"] == "severity"
    assert prediction["scores"]["depression"] == "moderate_to_severe"
    assert prediction["predict_error"] is None
    audio_seen = prediction["audio"]
    assert audio_seen["container"] == "wav"
    assert audio_seen["sample_rate"] == 16000
    assert audio_seen["channels"] == 1
    assert audio_seen["duration_seconds"] == pytest.approx(3.0, abs=0.01)
    assert audio_seen["voice_seconds"] >= 1.0
    assert audio_seen["voice_seconds_at_least"] is True
    assert audio_seen["accepted"] is True
    assert found["feedback"] == {"phq_9": [1] * 9}
    assert found["created_at"] == "2025-03-01T12:00:00+00:00"
    assert found["feedback_at"] is not None


def test_a_refused_recording_keeps_what_was_measured(client: TestClient) -> None:
    session = _initiate(client, "patient-2")
    short = speech_wav(0.3, 16000)
    client.post(
        "/v2/prediction/",
        headers=H,
        data={"session_id": session},
        files={"file": ("a.wav", short, "audio/wav")},
    )
    client.get(f"/v2/predict/sessions/{session}", headers=H)
    found = client.get(f"/_emulator/kintsugi/sessions/{session}", headers=H).json()
    assert found["status"] == "failed"
    assert found["prediction"]["predict_error"]["error"] == "insufficient_audio_length"
    assert found["prediction"]["audio"]["accepted"] is False
    assert "s of voice" in found["prediction"]["audio"]["reason"]


def test_sessions_page_newest_first_and_filter_by_user(client: TestClient) -> None:
    made = []
    for n in range(5):
        client.post("/_emulator/clock", json={"advance": 60})
        made.append(_initiate(client, f"u{n % 2}", consent=n != 3))
    everything = _sessions(client)
    assert [s["session_id"] for s in everything["sessions"]] == made
    assert everything["total"] == 5
    assert everything["limit"] is None
    page = _sessions(client, limit=2, offset=1, order="desc")
    assert [s["session_id"] for s in page["sessions"]] == made[::-1][1:3]
    assert page["total"] == 5
    assert {s["status"] for s in everything["sessions"]} == {"initiated", "no_consent"}
    mine = _sessions(client, user_id="u1")
    assert [s["session_id"] for s in mine["sessions"]] == [made[1], made[3]]
    assert mine["sessions"][0]["created_time"].startswith("2025-03-01T12:0")


@pytest.mark.parametrize(
    "params",
    [{"limit": "0"}, {"limit": "501"}, {"offset": "x"}, {"order": "up"}, {"user_id": ""}],
)
def test_bad_paging_answers_400(client: TestClient, params: dict[str, str]) -> None:
    response = client.get("/_emulator/kintsugi/sessions", headers=H, params=params)
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"


def test_unknown_session_and_missing_key(client: TestClient) -> None:
    missing = client.get("/_emulator/kintsugi/sessions/nope", headers=H)
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"
    keyless = client.get("/_emulator/kintsugi/sessions/nope")
    assert keyless.status_code == 400
    assert keyless.json()["error"] == "missing_api_key"


def test_the_tenant_may_be_named_by_the_alias(client: TestClient) -> None:
    session = _initiate(client, "u1")
    found = client.get(f"/_emulator/kintsugi/sessions/{session}", params={"api_key": KEY})
    assert found.status_code == 200
    assert found.json()["session_id"] == session
    clash = client.get("/_emulator/kintsugi/sessions", headers=H, params={"api_key": "other"})
    assert clash.status_code == 400
    assert clash.json()["error"] == "conflicting_api_key"
