"""Kintsugi v1 over HTTP: the seed's curl, Python and JavaScript samples replayed against
the emulator, and every v1 error code with its documented status and body (seed 002)."""

from __future__ import annotations

import httpx2
import pytest
import requests
from starlette.testclient import TestClient

from emulator.kintsugi.scores import DEPRESSION_BINARY, DEPRESSION_SEVERITY
from emulator.testing import EmulatorServer
from tests.audio.conftest import fixture_bytes, load_manifest
from tests.kintsugi.conftest import AUTH, KEY, UNENTITLED, client_for, settings
from tests.support.wavs import noise, noise_wav, stereo_wav, wav

# seed 002, "5.0 Example" of Initiate a Session, byte for byte.
SEED_CURL_FORM = (
    "gender=male&zipcode=12345&user_id=test&race=white&is_initiated=true&weight=100"
    "&language=true&ethnicity=Hispanic%2C%20Latino%2C%20or%20Spanish%20Origin&age=20"
)
CURL_HEADERS = {
    "accept": "application/json",
    "Content-Type": "application/x-www-form-urlencoded",
    "X-API-Key": KEY,
}


def v1_initiate(client: TestClient, user_id: str = "user-1", consent: str = "true") -> str:
    r = client.post(
        "/v1/initiate", headers=AUTH, data={"user_id": user_id, "is_initiated": consent}
    )
    assert r.status_code == 200, r.text
    sid: str = r.json()["session_id"]
    return sid


def v1_predict(
    client: TestClient, session_id: str, audio: bytes | None = None, model: str = "binary"
) -> httpx2.Response:
    files = {"file": ("dolor678.wav", audio if audio is not None else noise_wav(), "audio/wav")}
    return client.post(
        f"/v1/predict/server/depression/{model}",
        headers=AUTH,
        data={"session_id": session_id},
        files=files,
    )


# -- the seed's samples -----------------------------------------------------------


def test_seed_curl_initiate_then_curl_predict(emulator_client: TestClient) -> None:
    r = emulator_client.post("/v1/initiate", headers=CURL_HEADERS, content=SEED_CURL_FORM)
    assert r.status_code == 200
    assert list(r.json()) == ["session_id"]
    session_id = r.json()["session_id"]
    assert isinstance(session_id, str)
    assert session_id

    # curl -F 'file=@dolor678.wav;type=audio/wav' -F 'session_id=ipsum345'
    r = emulator_client.post(
        "/v1/predict/server/depression/severity",
        headers={"accept": "application/json", "X-API-Key": KEY},
        files={"file": ("dolor678.wav", noise_wav(), "audio/wav")},
        data={"session_id": session_id},
    )
    assert r.status_code == 201  # the seed's example response code
    assert list(r.json()) == ["data"]
    data = r.json()["data"]
    assert data["name"] in DEPRESSION_SEVERITY
    assert data["value"] == DEPRESSION_SEVERITY.index(data["name"])


def test_seed_curl_metadata_is_kept(emulator_client: TestClient) -> None:
    r = emulator_client.post("/v1/initiate", headers=CURL_HEADERS, content=SEED_CURL_FORM)
    sessions = emulator_client.get("/_emulator/kintsugi/sessions", headers=AUTH).json()["sessions"]
    (session,) = sessions
    assert session["session_id"] == r.json()["session_id"]
    assert session["user_id"] == "test"
    assert session["consent"] is True
    assert session["metadata"] == {
        "age": 20,
        "gender": "male",
        "race": "white",
        "ethnicity": "Hispanic, Latino, or Spanish Origin",
        "zipcode": "12345",
        "language": True,
        "weight": 100,
    }


@pytest.mark.e2e
@pytest.mark.parametrize("model", ["binary", "severity"])
def test_seed_python_sample_runs_unchanged(emulator_server: EmulatorServer, model: str) -> None:
    """The seed's two Python `requests` samples, with only the URL root changed."""
    root = emulator_server.base_url
    session = requests.Session()
    session.headers.update({"X-API-Key": KEY})

    initiate_resp = session.post(
        url=f"{root}/v1/initiate", data={"user_id": "patient-7", "is_initiated": True}
    )
    initiate_resp.raise_for_status()
    session_id = initiate_resp.json()["session_id"]

    prediction_resp = session.post(
        url=f"{root}/v1/predict/server/depression/{model}",
        files={"file": noise_wav(7)},
        data={"session_id": session_id},
    )
    prediction_resp.raise_for_status()
    labels = DEPRESSION_BINARY if model == "binary" else DEPRESSION_SEVERITY
    assert prediction_resp.json()["data"]["name"] in labels

    feedback_resp = session.patch(
        url=f"{root}/v1/feedback/server/phq/2",
        json={"session_id": session_id, "actual_score": [1, 2]},
    )
    feedback_resp.raise_for_status()
    feedback_resp = session.patch(
        url=f"{root}/v1/feedback/server/phq/9",
        json={"session_id": session_id, "actual_score": [1, 2, 3, 1, 2, 3, 1, 2, 3]},
    )
    feedback_resp.raise_for_status()
    if model == "binary":
        feedback_resp = session.patch(
            url=f"{root}/v1/feedback/server/depression/binary",
            data={"session_id": session_id, "actual_score": "true"},
        )
        feedback_resp.raise_for_status()
        assert feedback_resp.content == b""  # "Feedback endpoint do not return any data."

    # The same session seen through v2: the feedback is stored, binary key first.
    record = session.get(f"{root}/v2/predict/sessions/{session_id}").json()
    assert record["status"] == "success"
    assert record["model_category"] == "depression"
    assert record["model_granularity"] == model
    expected: dict[str, object] = {"phq_2": [1, 2], "phq_9": [1, 2, 3, 1, 2, 3, 1, 2, 3]}
    if model == "binary":
        expected = {"depression_binary": "true", **expected}
    assert record["actual_score"] == expected
    assert list(record["actual_score"]) == list(expected)


def test_seed_javascript_sample_multipart_forms(emulator_client: TestClient) -> None:
    """The JS sample sends `FormData` (multipart) to initiate and feedback."""
    r = emulator_client.post(
        "/v1/initiate",
        headers=AUTH,
        files={"user_id": (None, "USER_ID"), "is_initiated": (None, "true")},
    )
    assert r.status_code == 200
    session_id = r.json()["session_id"]
    assert v1_predict(emulator_client, session_id).status_code == 201
    r = emulator_client.patch(
        "/v1/feedback/server/depression/binary",
        headers=AUTH,
        files={"session_id": (None, session_id), "actual_score": (None, "true")},
    )
    assert r.status_code == 200
    # The sample's predict and feedback calls carry no X-API-Key; the emulator, like the
    # documented API (every v1 table lists the header), refuses them: without a key it
    # is an invalid request (the get-started page).
    r = emulator_client.patch(
        "/v1/feedback/server/depression/binary",
        files={"session_id": (None, session_id), "actual_score": (None, "false")},
    )
    assert (r.status_code, r.json()) == (400, {"error": "invalid_request"})


# -- success shapes ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "labels"), [("binary", DEPRESSION_BINARY), ("severity", DEPRESSION_SEVERITY)]
)
def test_predict_returns_label_and_its_index(
    emulator_client: TestClient, model: str, labels: tuple[str, ...]
) -> None:
    for seed in range(6):
        sid = v1_initiate(emulator_client)
        r = v1_predict(emulator_client, sid, noise_wav(seed), model)
        assert r.status_code == 201
        data = r.json()["data"]
        assert data == {"name": data["name"], "value": labels.index(data["name"])}


def test_predict_status_is_configurable() -> None:
    with client_for(settings(v1_predict_status=200)) as client:
        sid = v1_initiate(client)
        assert v1_predict(client, sid).status_code == 200


@pytest.mark.parametrize("consent", ["true", "True", "1", "t", "TRUE"])
def test_consent_spellings(emulator_client: TestClient, consent: str) -> None:
    sid = v1_initiate(emulator_client, consent=consent)
    assert v1_predict(emulator_client, sid).status_code == 201


def test_feedback_replaces_the_same_kind(emulator_client: TestClient) -> None:
    sid = v1_initiate(emulator_client)
    v1_predict(emulator_client, sid)
    for value in ("true", "additional_consideration_required"):
        r = emulator_client.patch(
            "/v1/feedback/server/depression/binary",
            headers=AUTH,
            data={"session_id": sid, "actual_score": value},
        )
        assert r.status_code == 200
    record = emulator_client.get(f"/v2/predict/sessions/{sid}", headers=AUTH).json()
    assert record["actual_score"] == {"depression_binary": "additional_consideration_required"}


# -- every v1 error ---------------------------------------------------------------


def test_400_missing_key_401_wrong_key(keyed_client: TestClient) -> None:
    """The get-started page: no key is an invalid request, a wrong key an authentication
    error (401 invalid_api_key, seed 002)."""
    form = {"user_id": "u", "is_initiated": "true"}
    for headers in ({}, {"X-API-Key": ""}):
        r = keyed_client.post("/v1/initiate", headers=headers, data=form)
        assert (r.status_code, r.json()) == (400, {"error": "invalid_request"})
    for headers in ({"X-API-Key": "not-a-key"},):
        for path, method in [
            ("/v1/initiate", "POST"),
            ("/v1/predict/server/depression/binary", "POST"),
            ("/v1/predict/server/depression/severity", "POST"),
            ("/v1/feedback/server/depression/binary", "PATCH"),
            ("/v1/feedback/server/phq/2", "PATCH"),
            ("/v1/feedback/server/phq/9", "PATCH"),
        ]:
            r = keyed_client.request(method, path, headers=headers, data=form)
            assert (r.status_code, r.json()) == (401, {"error": "invalid_api_key"}), path


def test_403_unauthorized_account(keyed_client: TestClient) -> None:
    r = keyed_client.post(
        "/v1/initiate",
        headers={"X-API-Key": UNENTITLED},
        data={"user_id": "u", "is_initiated": "true"},
    )
    assert (r.status_code, r.json()) == (403, {"error": "unauthorized_account"})
    sid = v1_initiate(keyed_client)
    r = keyed_client.post(
        "/v1/predict/server/depression/binary",
        headers={"X-API-Key": UNENTITLED},
        data={"session_id": sid},
        files={"file": ("a.wav", noise_wav())},
    )
    assert (r.status_code, r.json()) == (403, {"error": "unauthorized_account"})


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/nope"),
        ("POST", "/v1/predict/server/anxiety/severity"),  # v2-only model
        ("POST", "/v1/prediction/"),
        ("GET", "/v1/initiate"),  # known path, wrong method
        ("PUT", "/v1/feedback/server/phq/2"),
        ("POST", "/v1/initiate/"),  # no slash redirects
    ],
)
def test_404_path_not_found(emulator_client: TestClient, method: str, path: str) -> None:
    r = emulator_client.request(method, path, headers=AUTH)
    assert (r.status_code, r.json()) == (404, {"error": "path_not_found"})


def test_404_nonexistent_initiation(emulator_client: TestClient) -> None:
    nope = {"error": "nonexistent_initiation"}
    for data in ({"session_id": "ipsum345"}, {}, {"session_id": ""}):
        r = emulator_client.post(
            "/v1/predict/server/depression/binary",
            headers=AUTH,
            data=data,
            files={"file": ("a.wav", noise_wav())},
        )
        assert (r.status_code, r.json()) == (404, nope)
    r = emulator_client.patch(
        "/v1/feedback/server/phq/2", headers=AUTH, json={"session_id": "x", "actual_score": [0, 0]}
    )
    assert (r.status_code, r.json()) == (404, nope)


@pytest.mark.parametrize("consent", ["false", "False", "0", "f", "FALSE"])
def test_no_consent_hands_out_no_session_id(emulator_client: TestClient, consent: str) -> None:
    """seed 002: with is_initiated false "a session is not created", so there is no
    session id to hand out (406 consent_not_provided; see docs/voice.md)."""
    r = emulator_client.post(
        "/v1/initiate", headers=AUTH, data={"user_id": "u", "is_initiated": consent}
    )
    assert (r.status_code, r.json()) == (406, {"error": "consent_not_provided"})
    assert emulator_client.get("/_emulator/kintsugi/sessions", headers=AUTH).json()["total"] == 0


def test_404_nonexistent_prediction_for_feedback_before_predict(
    emulator_client: TestClient,
) -> None:
    sid = v1_initiate(emulator_client)
    r = emulator_client.patch(
        "/v1/feedback/server/depression/binary",
        headers=AUTH,
        data={"session_id": sid, "actual_score": "true"},
    )
    assert (r.status_code, r.json()) == (404, {"error": "nonexistent_prediction"})


def test_409_existent_session(emulator_client: TestClient) -> None:
    sid = v1_initiate(emulator_client)
    assert v1_predict(emulator_client, sid).status_code == 201
    for model in ("binary", "severity"):
        r = v1_predict(emulator_client, sid, model=model)
        assert (r.status_code, r.json()) == (409, {"error": "existent_session"})


def _meta_error(client: TestClient, form: dict[str, str]) -> tuple[int, object]:
    r = client.post("/v1/initiate", headers=AUTH, data=form)
    return r.status_code, r.json()


def test_422_unsupported_metadata_spec_user_id_unprovided(emulator_client: TestClient) -> None:
    # The seed's own example body.
    assert _meta_error(emulator_client, {"is_initiated": "true"}) == (
        422,
        {"error": "unsupported_metadata_spec", "context": {"user_id": "unprovided"}},
    )


def test_422_zipcode_of_six_digits_is_malformed(emulator_client: TestClient) -> None:
    assert _meta_error(
        emulator_client, {"user_id": "u", "is_initiated": "true", "zipcode": "123456"}
    ) == (422, {"error": "unsupported_metadata_spec", "context": {"zipcode": "malformed"}})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("age", "0"),
        ("age", "-3"),
        ("age", "20.5"),
        ("age", "twenty"),
        ("age", ""),
        ("weight", "0"),
        ("weight", "1e3"),
        ("zipcode", "1234"),
        ("zipcode", "1234a"),
        ("language", "yes"),
        ("gender", "robot"),
        ("race", "martian"),
        ("ethnicity", "Hispanic"),
        ("is_initiated", "maybe"),
    ],
)
def test_422_each_field_malformed(emulator_client: TestClient, field: str, value: str) -> None:
    form = {"user_id": "u", "is_initiated": "true", field: value}
    assert _meta_error(emulator_client, form) == (
        422,
        {"error": "unsupported_metadata_spec", "context": {field: "malformed"}},
    )


def test_422_lists_every_bad_field(emulator_client: TestClient) -> None:
    form = {"age": "0", "zipcode": "9", "gender": "x", "weight": "-1", "language": "2"}
    status, body = _meta_error(emulator_client, form)
    assert status == 422
    assert body == {
        "error": "unsupported_metadata_spec",
        "context": {
            "user_id": "unprovided",
            "is_initiated": "unprovided",
            "age": "malformed",
            "gender": "malformed",
            "zipcode": "malformed",
            "language": "malformed",
            "weight": "malformed",
        },
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("gender", "Prefer Not to Specify"),
        ("gender", "transgender female"),
        ("gender", "non-binary"),
        ("race", "Black or African American"),
        ("race", "black or african-american"),
        ("race", "NATIVE HAWAIIAN OR PACIFIC ISLANDER"),
        ("ethnicity", "Not Hispanic, Latino, or Spanish Origin"),
        ("language", "false"),
        ("zipcode", "00501"),
    ],
)
def test_documented_values_in_either_spelling(
    emulator_client: TestClient, field: str, value: str
) -> None:
    r = emulator_client.post(
        "/v1/initiate", headers=AUTH, data={"user_id": "u", "is_initiated": "true", field: value}
    )
    assert r.status_code == 200, r.text


def test_422_unsupported_audio_spec(emulator_client: TestClient) -> None:
    body = {"error": "unsupported_audio_spec"}
    for audio in (stereo_wav(), wav(noise(3, 1.0, 4000), 4000)):
        sid = v1_initiate(emulator_client)
        r = v1_predict(emulator_client, sid, audio)
        assert (r.status_code, r.json()) == (422, body)
        # A rejected recording does not use the session up.
        assert v1_predict(emulator_client, sid).status_code == 201


@pytest.mark.parametrize(
    "audio",
    [b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 50, b"hello, not audio", b""],
    ids=["mp3", "text", "empty"],
)
def test_422_unstandard_audio(emulator_client: TestClient, audio: bytes) -> None:
    sid = v1_initiate(emulator_client)
    r = v1_predict(emulator_client, sid, audio)
    assert (r.status_code, r.json()) == (422, {"error": "unstandard_audio"})


def test_422_unstandard_audio_when_file_missing(emulator_client: TestClient) -> None:
    sid = v1_initiate(emulator_client)
    r = emulator_client.post(
        "/v1/predict/server/depression/binary", headers=AUTH, data={"session_id": sid}
    )
    assert (r.status_code, r.json()) == (422, {"error": "unstandard_audio"})


def test_422_insufficient_audio_length_at_default_threshold() -> None:
    with client_for(settings(voice=30.0)) as client:
        sid = v1_initiate(client)
        # 40 s of noise: long enough as a file, but no voice in it.
        r = v1_predict(client, sid, noise_wav(1, seconds=40.0))
        assert (r.status_code, r.json()) == (422, {"error": "insufficient_audio_length"})


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/v1/feedback/server/phq/2", {"actual_score": [1]}),
        ("/v1/feedback/server/phq/2", {"actual_score": [1, 4]}),
        ("/v1/feedback/server/phq/2", {"actual_score": [1, -1]}),
        ("/v1/feedback/server/phq/2", {"actual_score": ["1", "2"]}),
        ("/v1/feedback/server/phq/2", {"actual_score": [True, False]}),
        ("/v1/feedback/server/phq/9", {"actual_score": [1, 2]}),
        ("/v1/feedback/server/phq/9", {"actual_score": "1,2,3,1,2,3,1,2,3"}),
    ],
)
def test_422_unsupported_feedback_spec_malformed(
    emulator_client: TestClient, path: str, payload: dict[str, object]
) -> None:
    sid = v1_initiate(emulator_client)
    v1_predict(emulator_client, sid)
    r = emulator_client.patch(path, headers=AUTH, json={"session_id": sid, **payload})
    assert (r.status_code, r.json()) == (
        422,
        {"error": "unsupported_feedback_spec", "context": {"actual_score": "malformed"}},
    )


@pytest.mark.parametrize(
    ("sent", "stored"),
    [("True", "true"), ("TRUE", "true"), ("1", "true"), ("False", "false"), ("f", "false")],
)
def test_binary_feedback_takes_boolean_spellings(
    emulator_client: TestClient, sent: str, stored: str
) -> None:
    """A form boolean, as the other form booleans (is_initiated, language): Python's
    `requests` posts a True as "True"."""
    sid = v1_initiate(emulator_client)
    v1_predict(emulator_client, sid)
    r = emulator_client.patch(
        "/v1/feedback/server/depression/binary",
        headers=AUTH,
        data={"session_id": sid, "actual_score": sent},
    )
    assert r.status_code == 200
    record = emulator_client.get(f"/v2/predict/sessions/{sid}", headers=AUTH).json()
    assert record["actual_score"] == {"depression_binary": stored}


def test_422_unsupported_feedback_spec_binary(emulator_client: TestClient) -> None:
    sid = v1_initiate(emulator_client)
    v1_predict(emulator_client, sid)
    for data, verdict in (({"actual_score": "yes"}, "malformed"), ({}, "unprovided")):
        r = emulator_client.patch(
            "/v1/feedback/server/depression/binary",
            headers=AUTH,
            data={"session_id": sid, **data},
        )
        assert (r.status_code, r.json()) == (
            422,
            {"error": "unsupported_feedback_spec", "context": {"actual_score": verdict}},
        )


@pytest.mark.parametrize("entry", load_manifest(), ids=lambda e: str(e["name"]))
def test_every_audio_fixture_gets_its_documented_code(entry: dict[str, object]) -> None:
    """The audio fixtures' Kintsugi verdicts (fixtures/audio/manifest.json), over HTTP, at
    the default thresholds: v1 answers 422 with the code; v2 (reject mode) the same."""
    audio = fixture_bytes(str(entry["name"]))
    code = entry["kintsugi"]
    with client_for(settings(voice=30.0, v2_audio_failure="reject")) as client:
        sid = v1_initiate(client)
        r = v1_predict(client, sid, audio)
        assert (r.status_code, r.json()) == (422, {"error": code})
        r = client.post(
            "/v2/prediction/", headers=AUTH, data={"session_id": sid}, files={"file": audio}
        )
        assert (r.status_code, r.json()) == (422, {"message": code})
