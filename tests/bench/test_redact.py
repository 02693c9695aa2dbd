"""Redaction: keys and user ids become stable pseudonyms, audio a stub, headers a few."""

from __future__ import annotations

import json

from emulator.audio.speech import speech_wav
from emulator.bench.redact import Redactor, is_pseudonym


def test_keys_and_user_ids_become_stable_pseudonyms_everywhere() -> None:
    r = Redactor(secret=b"s")
    first = r.request(
        "POST",
        "/v2/initiate",
        [],
        {"x-api-key": "secret-key", "cookie": "c=1", "authorization": "Bearer t"},
        json.dumps({"user_id": "jane", "is_initiated": True}).encode(),
    )
    assert set(first["headers"]) == {"x-api-key"}
    key = first["headers"]["x-api-key"]
    assert key.startswith("redacted-key-")
    user = first["body"]["json"]["user_id"]
    assert user.startswith("redacted-user-")
    later = r.request(
        "GET", "/v2/predict/users/jane", [("u", "jane")], {"x-api-key": "secret-key"}, b""
    )
    assert later["path"] == f"/v2/predict/users/{user}"
    assert later["query"] == [["u", user]]
    assert later["headers"]["x-api-key"] == key
    assert "jane" not in json.dumps([first, later])


def test_ids_learnt_from_answers_are_redacted_in_later_requests() -> None:
    r = Redactor()
    answer = r.response(
        201, {"content-type": "application/json"}, b'{"result": {"user_id": "G-1"}}'
    )
    user = answer["body"]["json"]["result"]["user_id"]
    assert is_pseudonym(user)
    later = r.request("GET", "/ai/v1/users/G-1", [], {"x-user-id": "G-1"}, b"")
    assert later["path"] == f"/ai/v1/users/{user}"
    assert later["headers"]["x-user-id"] == user


def test_an_error_about_the_user_id_field_is_kept() -> None:
    r = Redactor()
    body = b'{"message": "unsupported_metadata_spec", "context": {"user_id": "unprovided"}}'
    answer = r.response(422, {"content-type": "application/json"}, body)
    assert answer["body"]["json"]["context"]["user_id"] == "unprovided"


def test_each_run_has_its_own_secret() -> None:
    a = Redactor().request("GET", "/", [], {"x-api-key": "k"}, b"")
    b = Redactor().request("GET", "/", [], {"x-api-key": "k"}, b"")
    assert a["headers"]["x-api-key"] != b["headers"]["x-api-key"]


def test_audio_becomes_a_stub_unless_kept() -> None:
    wav = speech_wav(1)
    stub = Redactor().audio_stub(wav, "audio/wav", "a.wav")
    assert stub["container"] == "wav"
    assert stub["sample_rate"] == 16000
    assert stub["bytes"] == len(wav)
    assert "base64" not in stub
    assert "base64" in Redactor(keep_audio=True).audio_stub(wav, "audio/wav", "a.wav")


def test_text_bodies_are_scrubbed() -> None:
    r = Redactor()
    r.request("GET", "/", [], {"x-api-key": "key-123"}, b"")
    answer = r.response(401, {"content-type": "text/plain"}, b"bad key key-123")
    assert "key-123" not in answer["body"]["text"]
