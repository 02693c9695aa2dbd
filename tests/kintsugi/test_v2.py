"""Kintsugi v2 over HTTP: every endpoint, record field and error code (kintsugi-api.md §4)."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from starlette.testclient import TestClient

from emulator.kintsugi.models import state_of
from emulator.kintsugi.scores import ANXIETY_SEVERITY, DEPRESSION_BINARY, DEPRESSION_SEVERITY
from tests.kintsugi.conftest import (
    AUTH,
    UNENTITLED,
    client_for,
    finished,
    initiate,
    record,
    settings,
    submit,
)
from tests.support.wavs import noise_wav, stereo_wav

RFC3339_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$")
SUBMITS = {
    "/v2/prediction/": ("depression,anxiety", "severity"),
    "/v2/prediction": ("depression,anxiety", "severity"),
    "/v2/predict/depression/binary": ("depression", "binary"),
    "/v2/predict/depression/severity": ("depression", "severity"),
    "/v2/predict/anxiety/severity": ("anxiety", "severity"),
}
LABELS = {
    ("depression", "severity"): DEPRESSION_SEVERITY,
    ("depression", "binary"): DEPRESSION_BINARY,
    ("anxiety", "severity"): ANXIETY_SEVERITY,
}


def instant(text: object) -> datetime:
    return datetime.fromisoformat(str(text))


# -- initiate ---------------------------------------------------------------------


def test_initiate_parses_json_without_content_type(emulator_client: TestClient) -> None:
    """kintsugi-python sends `data=json.dumps(...)`: no Content-Type at all (§6.3)."""
    body = b'{"is_initiated": true, "user_id": "user-1", "metadata": {"age": 39}}'
    r = emulator_client.post("/v2/initiate", headers=AUTH, content=body)
    assert r.status_code == 201
    assert list(r.json()) == ["session_id"]
    # Also under a wrong Content-Type (a form one).
    r = emulator_client.post(
        "/v2/initiate",
        headers={**AUTH, "Content-Type": "application/x-www-form-urlencoded"},
        content=body,
    )
    assert r.status_code == 201


def test_initiate_full_metadata_and_unknown_fields(emulator_client: TestClient) -> None:
    metadata = {
        "age": 39,
        "gender": "male",
        "race": "asian",
        "ethnicity": "Not Hispanic, Latino, or Spanish Origin",
        "zipcode": "94110",
        "language": True,
        "weight": 160,
    }
    extra = {"consent": True, "consent_timestamp": "2025-01-01T00:00:00Z"}  # integrators add these
    r = emulator_client.post(
        "/v2/initiate",
        headers=AUTH,
        json={"is_initiated": True, "user_id": "u", "metadata": {**metadata, "shoe": 42}, **extra},
    )
    assert r.status_code == 201
    (session,) = emulator_client.get("/_emulator/kintsugi/sessions", headers=AUTH).json()[
        "sessions"
    ]
    assert session["metadata"] == metadata


def test_session_ids_look_real_and_are_reproducible() -> None:
    ids = []
    for _ in range(2):
        with client_for(settings()) as client:
            ids.append([initiate(client) for _ in range(3)])
    assert ids[0] == ids[1]
    assert len(set(ids[0])) == 3
    uuid4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
    assert all(uuid4.match(i) for i in ids[0])
    with client_for(settings()) as client:
        other_key = client.post(
            "/v2/initiate", headers={"X-API-Key": "k2"}, json={"is_initiated": True, "user_id": "u"}
        ).json()["session_id"]
    assert other_key not in ids[0]


@pytest.mark.parametrize(
    ("body", "context"),
    [
        ({"is_initiated": True}, {"user_id": "unprovided"}),
        ({"user_id": "u"}, {"is_initiated": "unprovided"}),
        ({"user_id": "", "is_initiated": True}, {"user_id": "unprovided"}),
        ({"user_id": 7, "is_initiated": True}, {"user_id": "malformed"}),
        ({"user_id": "u", "is_initiated": "true"}, {"is_initiated": "malformed"}),
        ({"user_id": "u", "is_initiated": True, "metadata": []}, {"metadata": "malformed"}),
        ({"user_id": "u", "is_initiated": True, "metadata": {"age": "39"}}, {"age": "malformed"}),
        ({"user_id": "u", "is_initiated": True, "metadata": {"age": 39.5}}, {"age": "malformed"}),
        ({"user_id": "u", "is_initiated": True, "metadata": {"age": True}}, {"age": "malformed"}),
        (
            {"user_id": "u", "is_initiated": True, "metadata": {"weight": 0}},
            {"weight": "malformed"},
        ),
        (
            {"user_id": "u", "is_initiated": True, "metadata": {"zipcode": 94110}},
            {"zipcode": "malformed"},
        ),
        (
            {"user_id": "u", "is_initiated": True, "metadata": {"language": "true"}},
            {"language": "malformed"},
        ),
        (
            {"user_id": "u", "is_initiated": True, "metadata": {"gender": "robot", "race": "x"}},
            {"gender": "malformed", "race": "malformed"},
        ),
        ([], {"user_id": "unprovided", "is_initiated": "unprovided"}),
    ],
)
def test_422_unsupported_metadata_spec(
    emulator_client: TestClient, body: object, context: dict[str, str]
) -> None:
    r = emulator_client.post("/v2/initiate", headers=AUTH, json=body)
    assert (r.status_code, r.json()) == (
        422,
        {"message": "unsupported_metadata_spec", "context": context},
    )


def test_422_for_a_body_that_is_not_json(emulator_client: TestClient) -> None:
    r = emulator_client.post("/v2/initiate", headers=AUTH, content=b"user_id=u&is_initiated=true")
    assert r.status_code == 422
    assert r.json()["context"] == {"user_id": "unprovided", "is_initiated": "unprovided"}


# -- submit and records -----------------------------------------------------------


@pytest.mark.parametrize("path", list(SUBMITS))
def test_submit_then_poll_each_model(emulator_client: TestClient, path: str) -> None:
    sid = initiate(emulator_client)
    assert submit(emulator_client, sid, path=path) == {"session_id": sid, "status": "processing"}

    first = record(emulator_client, sid)  # default progression: the first look is processing
    assert first["status"] == "processing"
    categories, granularity = SUBMITS[path]
    assert first["model_category"] == categories
    assert "session_id" not in first  # not in the by-session model (java-gen)

    done = record(emulator_client, sid)
    assert done["status"] == "success"
    assert done["model_granularity"] == granularity
    assert done["is_calibrated"] is False
    assert done["predict_error"] is None
    assert "actual_score" not in done
    for field in ("created_at", "updated_at"):
        assert RFC3339_Z.match(str(done[field])), done[field]
    assert instant(done["updated_at"]) >= instant(done["created_at"])
    cats = str(categories).split(",")
    for category in cats:
        assert done[f"predicted_score_{category}"] in LABELS[(category, granularity)]
    assert done["predicted_score"] == done[f"predicted_score_{cats[0]}"]
    # Once finished it stays finished, unchanged.
    assert record(emulator_client, sid) == done


def test_processing_record_has_every_field_the_sdk_reads(emulator_client: TestClient) -> None:
    sid = initiate(emulator_client)
    submit(emulator_client, sid)
    body = record(emulator_client, sid)
    assert body["status"] == "processing"
    for field in ("created_at", "updated_at", "is_calibrated", "status", "model_category"):
        assert field in body
    assert body["predicted_score_depression"] is None
    assert body["predicted_score_anxiety"] is None


def test_records_by_user(emulator_client: TestClient) -> None:
    a1, b1, a2 = (
        initiate(emulator_client, "alice"),
        initiate(emulator_client, "bob"),
        initiate(emulator_client, "alice"),
    )
    initiate(emulator_client, "alice")  # no prediction: not a prediction record
    for sid in (a1, b1, a2):
        submit(emulator_client, sid)
    r = emulator_client.get("/v2/predict/users/alice", headers=AUTH)
    assert r.status_code == 200
    items = r.json()
    assert [i["session_id"] for i in items] == [a1, a2]
    assert {i["status"] for i in items} == {"processing"}
    assert {
        i["status"] for i in emulator_client.get("/v2/predict/users/alice", headers=AUTH).json()
    } == {"success"}
    # The by-user listing agrees with the by-session record.
    assert {k: v for k, v in items[0].items() if k != "session_id"}.keys() == record(
        emulator_client, a1
    ).keys()


def test_records_by_unknown_user_is_an_empty_list(emulator_client: TestClient) -> None:
    r = emulator_client.get("/v2/predict/users/nobody", headers=AUTH)
    assert (r.status_code, r.json()) == (200, [])


# -- feedback ---------------------------------------------------------------------

FEEDBACK = [
    ("/v2/feedback/depression/binary", "true"),
    ("/v2/feedback/phq/2", [1, 2]),
    ("/v2/feedback/phq/9", [0, 1, 2, 3, 0, 1, 2, 3, 0]),
    ("/v2/feedback/gad/7", [0, 1, 2, 3, 0, 1, 2]),
]


def test_feedback_shows_in_actual_score_binary_first(emulator_client: TestClient) -> None:
    sid = initiate(emulator_client)
    submit(emulator_client, sid)
    # Sent in reverse so the record's order is the emulator's, not arrival order.
    for path, data in reversed(FEEDBACK):
        r = emulator_client.patch(
            path, headers=AUTH, content=_json({"data": data, "session_id": sid})
        )
        assert (r.status_code, r.content) == (200, b"")
    body = finished(emulator_client, sid)
    assert body["actual_score"] == {
        "depression_binary": "true",
        "phq_2": [1, 2],
        "phq_9": [0, 1, 2, 3, 0, 1, 2, 3, 0],
        "gad_7": [0, 1, 2, 3, 0, 1, 2],
    }
    assert next(iter(body["actual_score"])) == "depression_binary"


def _json(doc: object) -> bytes:
    import json

    return json.dumps(doc).encode()


@pytest.mark.parametrize(
    ("path", "data", "verdict"),
    [
        ("/v2/feedback/depression/binary", True, "malformed"),
        ("/v2/feedback/depression/binary", "yes", "malformed"),
        ("/v2/feedback/depression/binary", None, "unprovided"),
        ("/v2/feedback/phq/2", [1, 2, 3], "malformed"),
        ("/v2/feedback/phq/9", [4] * 9, "malformed"),
        ("/v2/feedback/gad/7", [0] * 6, "malformed"),
        ("/v2/feedback/gad/7", [0.5] * 7, "malformed"),
        ("/v2/feedback/gad/7", None, "unprovided"),
    ],
)
def test_422_unsupported_feedback_spec(
    emulator_client: TestClient, path: str, data: object, verdict: str
) -> None:
    sid = initiate(emulator_client)
    submit(emulator_client, sid)
    doc: dict[str, object] = {"session_id": sid}
    if data is not None:
        doc["data"] = data
    r = emulator_client.patch(path, headers=AUTH, json=doc)
    assert (r.status_code, r.json()) == (
        422,
        {"message": "unsupported_feedback_spec", "context": {"data": verdict}},
    )


@pytest.mark.parametrize(("path", "data"), FEEDBACK)
def test_feedback_404s(emulator_client: TestClient, path: str, data: object) -> None:
    r = emulator_client.patch(path, headers=AUTH, json={"data": data, "session_id": "nope"})
    assert (r.status_code, r.json()) == (404, {"message": "nonexistent_initiation"})
    sid = initiate(emulator_client)
    r = emulator_client.patch(path, headers=AUTH, json={"data": data, "session_id": sid})
    assert (r.status_code, r.json()) == (404, {"message": "nonexistent_prediction"})


# -- errors -----------------------------------------------------------------------

V2_CALLS = [
    ("POST", "/v2/initiate"),
    ("POST", "/v2/prediction/"),
    ("POST", "/v2/predict/depression/binary"),
    ("POST", "/v2/predict/depression/severity"),
    ("POST", "/v2/predict/anxiety/severity"),
    ("GET", "/v2/predict/sessions/abc"),
    ("GET", "/v2/predict/users/abc"),
    ("PATCH", "/v2/feedback/depression/binary"),
    ("PATCH", "/v2/feedback/phq/2"),
    ("PATCH", "/v2/feedback/phq/9"),
    ("PATCH", "/v2/feedback/gad/7"),
]


def test_400_missing_key_401_invalid_key(keyed_client: TestClient) -> None:
    """The get-started page: no key -> an invalid request error; a bad key -> an
    authentication error."""
    for headers, expected in (
        ({}, (400, {"message": "invalid_request"})),
        ({"X-API-Key": ""}, (400, {"message": "invalid_request"})),
        ({"X-API-Key": "wrong"}, (401, {"message": "invalid_api_key"})),
    ):
        for method, path in V2_CALLS:
            r = keyed_client.request(method, path, headers=headers)
            assert (r.status_code, r.json()) == expected, path


def test_403_unauthorized_account(keyed_client: TestClient) -> None:
    for method, path in V2_CALLS:
        r = keyed_client.request(method, path, headers={"X-API-Key": UNENTITLED})
        assert (r.status_code, r.json()) == (403, {"message": "unauthorized_account"}), path


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v2/nope"),
        ("POST", "/v2/predict/anxiety/binary"),
        ("POST", "/v2/predict/sessions/abc"),  # known path, wrong method
        ("DELETE", "/v2/feedback/gad/7"),
        ("GET", "/v2/predict/users/a/b"),
        ("POST", "/v2/initiate/"),
    ],
)
def test_404_path_not_found(emulator_client: TestClient, method: str, path: str) -> None:
    r = emulator_client.request(method, path, headers=AUTH)
    assert (r.status_code, r.json()) == (404, {"message": "path_not_found"})


def test_404_nonexistent_initiation(emulator_client: TestClient) -> None:
    r = emulator_client.get("/v2/predict/sessions/sess_abc123", headers=AUTH)
    assert (r.status_code, r.json()) == (404, {"message": "nonexistent_initiation"})
    r = emulator_client.post(
        "/v2/prediction/", headers=AUTH, data={"session_id": "x"}, files={"file": noise_wav()}
    )
    assert (r.status_code, r.json()) == (404, {"message": "nonexistent_initiation"})


def test_406_no_consent_creates_no_session(emulator_client: TestClient) -> None:
    """seed 002: with is_initiated false "a session is not created": no session id."""
    r = emulator_client.post(
        "/v2/initiate", headers=AUTH, json={"is_initiated": False, "user_id": "u"}
    )
    assert (r.status_code, r.json()) == (406, {"message": "consent_not_provided"})
    sessions = emulator_client.get("/_emulator/kintsugi/sessions", headers=AUTH).json()
    assert sessions["total"] == 0


@pytest.mark.parametrize(
    ("setting", "status"),
    [("nonexistent_initiation", 404), ("consent_not_provided", 406)],
)
def test_a_restored_no_consent_session_still_cannot_predict(setting: str, status: int) -> None:
    """State files from before the change may hold sessions without consent."""
    with client_for(settings(no_consent_error=setting)) as client:
        rt = client.app.state.runtime  # type: ignore[attr-defined]
        state = state_of(rt.store.namespace(AUTH["X-API-Key"]))
        sid = state.initiate(
            seed=0, user_id="u", consent=False, metadata={}, api_version=2, now=0.0
        ).session_id
        r = client.post(
            "/v2/prediction/", headers=AUTH, data={"session_id": sid}, files={"file": noise_wav()}
        )
        assert (r.status_code, r.json()) == (status, {"message": setting})


def test_404_nonexistent_prediction(emulator_client: TestClient) -> None:
    sid = initiate(emulator_client)
    r = emulator_client.get(f"/v2/predict/sessions/{sid}", headers=AUTH)
    assert (r.status_code, r.json()) == (404, {"message": "nonexistent_prediction"})


def test_409_existent_session(emulator_client: TestClient) -> None:
    sid = initiate(emulator_client)
    submit(emulator_client, sid)
    for path in SUBMITS:
        r = emulator_client.post(
            path, headers=AUTH, data={"session_id": sid}, files={"file": noise_wav()}
        )
        assert (r.status_code, r.json()) == (409, {"message": "existent_session"})


def test_sessions_are_per_api_key(emulator_client: TestClient) -> None:
    sid = initiate(emulator_client)
    submit(emulator_client, sid)
    r = emulator_client.get(f"/v2/predict/sessions/{sid}", headers={"X-API-Key": "someone-else"})
    assert (r.status_code, r.json()) == (404, {"message": "nonexistent_initiation"})


# -- audio guardrails in v2 -------------------------------------------------------

BAD_AUDIO = [
    (b"not audio at all", "unstandard_audio"),
    (stereo_wav(), "unsupported_audio_spec"),
]


@pytest.mark.parametrize(("audio", "code"), BAD_AUDIO)
def test_bad_audio_gives_a_failed_record_by_default(
    emulator_client: TestClient, audio: bytes, code: str
) -> None:
    sid = initiate(emulator_client)
    assert submit(emulator_client, sid, audio)["status"] == "processing"
    body = finished(emulator_client, sid)
    assert body["status"] == "failed"
    error = body["predict_error"]
    assert isinstance(error, dict)
    assert error["error"] == code
    assert error["message"]
    # kintsugi-python needs model_category on every non-processing record (§6.4).
    assert body["model_category"] == "depression,anxiety"
    assert body["predicted_score_depression"] is None
    # The session has its (failed) prediction now.
    r = emulator_client.post(
        "/v2/prediction/", headers=AUTH, data={"session_id": sid}, files={"file": noise_wav()}
    )
    assert r.status_code == 409


@pytest.mark.parametrize(("audio", "code"), BAD_AUDIO)
def test_bad_audio_rejected_at_submit_when_configured(audio: bytes, code: str) -> None:
    with client_for(settings(v2_audio_failure="reject")) as client:
        sid = initiate(client)
        r = client.post(
            "/v2/prediction/", headers=AUTH, data={"session_id": sid}, files={"file": audio}
        )
        assert (r.status_code, r.json()) == (422, {"message": code})
        assert submit(client, sid)["status"] == "processing"  # not used up


def test_insufficient_audio_length_v2_at_default_threshold() -> None:
    with client_for(settings(voice=30.0)) as client:
        sid = initiate(client)
        submit(client, sid, noise_wav(2, seconds=35.0))
        error = finished(client, sid)["predict_error"]
        assert isinstance(error, dict)
        assert error["error"] == "insufficient_audio_length"
    with client_for(settings(voice=30.0, v2_audio_failure="reject")) as client:
        sid = initiate(client)
        r = client.post(
            "/v2/predict/anxiety/severity",
            headers=AUTH,
            data={"session_id": sid},
            files={"file": noise_wav(2, seconds=35.0)},
        )
        assert (r.status_code, r.json()) == (422, {"message": "insufficient_audio_length"})


def test_failed_record_status_417_when_configured() -> None:
    with client_for(settings(failed_record_status=417)) as client:
        sid = initiate(client)
        submit(client, sid, b"junk")
        assert record(client, sid)["status"] == "processing"
        r = client.get(f"/v2/predict/sessions/{sid}", headers=AUTH)
        assert r.status_code == 417
        assert r.json()["predict_error"]["error"] == "unstandard_audio"


def test_missing_file_is_unstandard_audio(emulator_client: TestClient) -> None:
    sid = initiate(emulator_client)
    r = emulator_client.post("/v2/prediction/", headers=AUTH, data={"session_id": sid})
    assert (r.status_code, r.json()) == (422, {"message": "unstandard_audio"})


@pytest.mark.parametrize("rate", ["7999", "800000", "sixteen", "16000.5", "-8000"])
def test_422_allowed_sample_rate_out_of_range(emulator_client: TestClient, rate: str) -> None:
    sid = initiate(emulator_client)
    r = emulator_client.post(
        "/v2/prediction/",
        headers=AUTH,
        data={"session_id": sid, "allowed_sample_rate": rate},
        files={"file": noise_wav()},
    )
    assert (r.status_code, r.json()) == (
        422,
        {"message": "unsupported_audio_spec", "context": {"allowed_sample_rate": "malformed"}},
    )


# The audio specification takes 8 kHz and up (seed 002), beyond the javadoc's 16-44.1 kHz.
@pytest.mark.parametrize("rate", ["8000", "16000", "44100", "48000", "96000", "22050.0"])
def test_allowed_sample_rate_accepted(emulator_client: TestClient, rate: str) -> None:
    sid = initiate(emulator_client)
    r = emulator_client.post(
        "/v2/prediction/",
        headers=AUTH,
        data={"session_id": sid, "allowed_sample_rate": rate},
        files={"file": noise_wav()},
    )
    assert r.status_code == 202


def test_malformed_multipart_body(emulator_client: TestClient) -> None:
    sid = initiate(emulator_client)
    r = emulator_client.post(
        "/v2/prediction/",
        headers={**AUTH, "Content-Type": "multipart/form-data; boundary=xyz"},
        content=b'--xyz\r\nContent-Disposition: form-data; name="session_id"\r\n\r\n'
        + sid.encode(),
    )
    # Unparseable as a whole: read as an empty form, so there is no session id.
    assert (r.status_code, r.json()) == (404, {"message": "nonexistent_initiation"})


# -- progression ------------------------------------------------------------------


def test_progression_immediate() -> None:
    with client_for(settings(progression="immediate")) as client:
        sid = initiate(client)
        submit(client, sid)
        body = record(client, sid)
        assert body["status"] == "success"
        assert body["updated_at"] == body["created_at"]


def test_progression_after_n_polls() -> None:
    with client_for(settings(progression="polls", progression_polls=3)) as client:
        sid = initiate(client)
        submit(client, sid)
        assert [record(client, sid)["status"] for _ in range(4)] == [
            "processing",
            "processing",
            "processing",
            "success",
        ]


def test_progression_after_seconds_on_the_virtual_clock() -> None:
    s = settings(progression="seconds", progression_seconds=60.0)
    with client_for(s) as client:
        rt = client.app.state.runtime  # type: ignore[attr-defined]
        rt.clock.freeze()
        sid = initiate(client)
        submit(client, sid)
        assert record(client, sid)["status"] == "processing"
        rt.clock.advance(59.0)
        assert record(client, sid)["status"] == "processing"
        rt.clock.advance(1.0)
        body = record(client, sid)
        assert body["status"] == "success"
        # updated_at is when the work finished: exactly 60 s after submission.
        assert (instant(body["updated_at"]) - instant(body["created_at"])).total_seconds() == 60.0


def test_progression_manual_and_advance() -> None:
    with client_for(settings(progression="manual")) as client:
        one, two = initiate(client), initiate(client)
        submit(client, one)
        submit(client, two)
        assert record(client, one)["status"] == "processing"
        r = client.post("/_emulator/kintsugi/advance", headers=AUTH, json={"session_id": one})
        assert r.json() == {"advanced": [one]}
        assert record(client, one)["status"] == "success"
        assert record(client, two)["status"] == "processing"
        r = client.post("/_emulator/kintsugi/advance")  # no key: every tenant
        assert r.json() == {"advanced": [two]}
        assert record(client, two)["status"] == "success"


def test_feedback_moves_updated_at(emulator_client: TestClient) -> None:
    rt = emulator_client.app.state.runtime  # type: ignore[attr-defined]
    rt.clock.freeze()
    sid = initiate(emulator_client)
    submit(emulator_client, sid)
    before = finished(emulator_client, sid)
    rt.clock.advance(30.0)
    emulator_client.patch(
        "/v2/feedback/phq/2", headers=AUTH, json={"data": [0, 0], "session_id": sid}
    )
    after = record(emulator_client, sid)
    assert after["created_at"] == before["created_at"]
    assert (instant(after["updated_at"]) - instant(before["updated_at"])).total_seconds() == 30.0


def test_progression_changed_at_run_time(emulator_client: TestClient) -> None:
    r = emulator_client.put("/_emulator/progression", json={"kintsugi": {"mode": "manual"}})
    assert r.status_code == 200
    sid = initiate(emulator_client)
    submit(emulator_client, sid)
    assert [record(emulator_client, sid)["status"] for _ in range(3)] == ["processing"] * 3
    emulator_client.put("/_emulator/progression", json={"kintsugi": {"mode": "immediate"}})
    assert record(emulator_client, sid)["status"] == "success"


def test_advancer_for_the_generic_advance_endpoint(emulator_client: TestClient) -> None:
    """`advancer(rt)` is what POST /_emulator/advance calls once registered."""
    from emulator.kintsugi.forcing import advancer

    rt = emulator_client.app.state.runtime  # type: ignore[attr-defined]
    rt.advancers.setdefault("kintsugi", advancer(rt))
    held = [initiate(emulator_client, "emu-hold") for _ in range(2)]
    for sid in held:
        submit(emulator_client, sid)
    r = emulator_client.post(f"/_emulator/advance?api=kintsugi&session_id={held[0]}")
    assert r.json()["advanced"] == {"kintsugi": 1}
    assert record(emulator_client, held[0])["status"] == "success"
    assert record(emulator_client, held[1])["status"] == "processing"
    r = emulator_client.post("/_emulator/advance?api=kintsugi&api_key=someone-else")
    assert r.json()["advanced"] == {"kintsugi": 0}
    r = emulator_client.post("/_emulator/advance?api=kintsugi")
    assert r.json()["advanced"] == {"kintsugi": 1}
