"""The vendor's own client, unmodified: kintsugi-python 0.1.8 against a live emulator.

`Api(key, url=base_url + "/v2")` is the only change from production use (§6.2).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from kintsugi.api import Api, ResponseException

from emulator.kintsugi.scores import ANXIETY_SEVERITY, DEPRESSION_SEVERITY
from emulator.settings import Settings
from emulator.testing import EmulatorServer
from tests.kintsugi.conftest import KEY, UNENTITLED, settings
from tests.support.tools import missing
from tests.support.wavs import noise_wav, speech_wav

pytestmark = pytest.mark.e2e

METADATA = {
    "age": 39,
    "gender": "male",
    "race": "asian",
    "ethnicity": "Not Hispanic, Latino, or Spanish Origin",
    "zipcode": "94110",
    "language": True,
    "weight": 160,
}


@pytest.fixture(scope="module")
def live(tenant_config: str) -> Iterator[EmulatorServer]:
    """One server for the module: voice threshold off, only KEY and UNENTITLED exist."""
    with EmulatorServer(settings(config=tenant_config)) as server:
        yield server


def api(server: EmulatorServer, key: str = KEY) -> Api:
    return Api(key, url=server.base_url + "/v2")


def wav_file(audio: bytes, name: str = "sample.wav") -> io.BytesIO:
    buf = io.BytesIO(audio)
    buf.name = name  # becomes the multipart filename, as with an open() file
    return buf


def poll(client: Api, session_id: str, limit: int = 20) -> tuple[Any, int]:
    """The SDK README's loop (without the 5 s sleep): (final Prediction, polls made)."""
    for n in range(1, limit + 1):
        result = client.prediction().get_prediction_by_session(session_id)
        if result.status != "processing":
            return result, n
    raise AssertionError("still processing")


def test_full_flow(live: EmulatorServer) -> None:
    client = api(live)
    user = "sdk-flow-user"
    bare = client.new_session_id(user, METADATA)
    assert isinstance(bare, str)
    assert bare

    session_id = client.prediction().predict(
        user, wav_file(noise_wav(11)), metadata=METADATA, allowed_sample_rate=16000
    )
    assert session_id != bare

    result, polls = poll(client, session_id)
    assert polls == 2  # first look `processing`, second the result (default progression)
    assert result.session_id == session_id
    assert result.status == "success"
    assert result.is_calibrated is False
    assert isinstance(result.created_at, str)
    assert result.created_at.endswith("Z")
    assert set(result.predicted_score) == {"depression", "anxiety"}
    assert result.get_score("depression") in DEPRESSION_SEVERITY
    assert result.get_score("anxiety") in ANXIETY_SEVERITY
    assert result.feedback_score is None

    listed = client.prediction().get_prediction_by_user(user)
    # Only sessions with a prediction are prediction records; `bare` has none.
    assert [p.session_id for p in listed] == [session_id]
    assert listed[0].predicted_score == result.predicted_score

    feedback = client.feedback()
    assert feedback.depression(session_id, "true") is None
    assert feedback.phq_2(session_id, [1, 2]) is None
    assert feedback.phq_9(session_id, [0, 1, 2, 3, 0, 1, 2, 3, 0]) is None
    assert feedback.gad_7(session_id, [0, 1, 2, 3, 0, 1, 2]) is None

    again = client.prediction().get_prediction_by_session(session_id)
    score = again.feedback_score
    assert (score.category, score.label) == ("depression_binary", "true")
    assert score.phq_2 == [1, 2]
    assert score.phq_9 == [0, 1, 2, 3, 0, 1, 2, 3, 0]
    (by_user,) = client.prediction().get_prediction_by_user(user)
    assert by_user.feedback_score.category == "depression_binary"


def test_same_recording_same_result_via_sdk(live: EmulatorServer) -> None:
    client = api(live)
    audio = noise_wav(12)
    first = poll(client, client.prediction().predict("sdk-det", wav_file(audio)))[0]
    second = poll(client, client.prediction().predict("sdk-det", wav_file(audio)))[0]
    assert first.predicted_score == second.predicted_score


def test_wrong_key_is_invalid_api_key(live: EmulatorServer) -> None:
    wrong = api(live, "not-a-key")
    calls: list[Callable[[], object]] = [
        lambda: wrong.new_session_id("u"),
        lambda: wrong.prediction().predict("u", wav_file(noise_wav())),
        lambda: wrong.prediction().get_prediction_by_session("x"),
        lambda: wrong.prediction().get_prediction_by_user("u"),
        lambda: wrong.feedback().depression("x", "false"),
        lambda: wrong.feedback().gad_7("x", [0] * 7),
    ]
    for call in calls:
        with pytest.raises(ResponseException) as caught:
            call()
        assert caught.value.args == ('"invalid_api_key"',)


def test_key_without_kintsugi_is_unauthorized_account(live: EmulatorServer) -> None:
    with pytest.raises(ResponseException) as caught:
        api(live, UNENTITLED).new_session_id("u")
    assert caught.value.args == ('"unauthorized_account"',)


def test_unknown_session(live: EmulatorServer) -> None:
    client = api(live)
    calls: list[Callable[[], object]] = [
        lambda: client.prediction().get_prediction_by_session("sess_abc123"),
        lambda: client.feedback().phq_2("sess_abc123", [0, 0]),
    ]
    for call in calls:
        with pytest.raises(ResponseException) as caught:
            call()
        assert caught.value.args == ('"nonexistent_initiation"',)
    assert client.prediction().get_prediction_by_user("nobody-at-all") == []


def test_session_without_prediction(live: EmulatorServer) -> None:
    client = api(live)
    session_id = client.new_session_id("sdk-no-prediction")
    with pytest.raises(ResponseException) as caught:
        client.prediction().get_prediction_by_session(session_id)
    assert caught.value.args == ('"nonexistent_prediction"',)


def test_failed_record_parses(live: EmulatorServer) -> None:
    client = api(live)
    session_id = client.prediction().predict(
        "emu-error:insufficient_audio_length", wav_file(noise_wav())
    )
    result, _ = poll(client, session_id)
    assert result.status == "failed"
    assert result.get_score("depression") is None


def test_forced_label_via_magic_user(live: EmulatorServer) -> None:
    client = api(live)
    user = "sdk+emu-result:moderate_to_severe+emu-result:moderate"
    result, _ = poll(client, client.prediction().predict(user, wav_file(noise_wav())))
    assert result.predicted_score == {
        "depression": "moderate_to_severe",
        "anxiety": "moderate",
    }


def test_rejecting_mode_surfaces_the_audio_code() -> None:
    with EmulatorServer(settings(voice=30.0, v2_audio_failure="reject")) as server:
        with pytest.raises(ResponseException) as caught:
            api(server).prediction().predict("u", wav_file(noise_wav(seconds=2.0)))
        assert caught.value.args == ('"insufficient_audio_length"',)


def test_failed_record_as_417_surfaces_predict_error() -> None:
    with EmulatorServer(settings(failed_record_status=417, progression="immediate")) as server:
        client = api(server)
        session_id = client.prediction().predict("u", wav_file(b"not a wav"))
        with pytest.raises(ResponseException) as caught:
            client.prediction().get_prediction_by_session(session_id)
        (message,) = caught.value.args
        assert message.startswith('{"error": "unstandard_audio", "message": ')


@pytest.fixture(scope="module")
def speech() -> bytes:
    audio = speech_wav()
    if audio is None:
        missing("espeak-ng", "apt-get install espeak-ng")
    assert audio is not None
    return audio


def test_real_speech_at_the_default_voice_threshold(speech: bytes) -> None:
    """Default settings: 30 s of voice required. 35 s of espeak-ng speech (with pauses)
    passes; 35 s of noise (long enough as a file, no voice) fails."""
    assert Settings().kintsugi.min_voice_seconds == 30.0
    with EmulatorServer(Settings()) as server:
        client = api(server, "any-key")
        ok, _ = poll(client, client.prediction().predict("speaker", wav_file(speech, "me.wav")))
        assert ok.status == "success"
        assert ok.get_score("depression") in DEPRESSION_SEVERITY

        noisy = client.prediction().predict("speaker", wav_file(noise_wav(5, seconds=35.0)))
        failed, _ = poll(client, noisy)
        assert failed.status == "failed"
