"""Audio guardrails through Asleep's upload endpoint: every committed fixture's verdict.

The audio engineer's manifest (fixtures/audio/manifest.json) records what each file is
and what each vendor must answer; here each one is uploaded over HTTP to an AUDIO and to
a MELSPECTROGRAM session. Sources: asleep-api.md §2.4 and §3.5 (v1.0 error table).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.asleep.conftest import Api, wav_chunk
from tests.audio.conftest import fixture_bytes, load_manifest

MANIFEST = load_manifest()
# The v1.0 table's upload 400, with this emulator's default chunk settings.
AUDIO_400 = (
    "Audio file must be 30 seconds long, 16kHz, 44.1kHz or 48kHz, mp3 or wav, and smaller than 10MB"
)
MEL_TO_AUDIO_400 = "MELSPECTROGRAM file cannot be uploaded. Only AUDIO file can be uploaded."


def _name(entry: dict[str, Any]) -> str:
    return str(entry["name"])


@pytest.mark.parametrize("entry", MANIFEST, ids=_name)
def test_audio_session_answers_each_fixture_as_documented(api: Api, entry: dict[str, Any]) -> None:
    user = api.user()
    session = api.session(user, inference_type="AUDIO")
    r = api.upload(user, session, 0, fixture_bytes(entry["name"]))
    expected = entry["asleep"]
    if expected is None:
        assert r.status_code == 200, r.text
        assert r.json()["result"]["seq_num"] == 0
    elif expected == "melspectrogram_not_allowed":
        assert (r.status_code, r.json()) == (400, {"detail": MEL_TO_AUDIO_400})
    else:
        assert (r.status_code, r.json()) == (400, {"detail": AUDIO_400})


@pytest.mark.parametrize("entry", MANIFEST, ids=_name)
def test_melspectrogram_session_answers_each_fixture_as_documented(
    api: Api, entry: dict[str, Any]
) -> None:
    user = api.user()
    session = api.session(user)  # MELSPECTROGRAM is the default inference type
    r = api.upload(user, session, 0, fixture_bytes(entry["name"]))
    if entry["mel"] is None:
        assert r.status_code == 200, r.text
    else:
        assert (r.status_code, r.json()) == (422, {"detail": "Not valid parameter"})
        assert r.headers["x-emulator-reason"]


@pytest.mark.parametrize("rate", [16000, 44100, 48000])
def test_full_chunks_at_each_documented_rate_are_accepted(api: Api, rate: int) -> None:
    user = api.user()
    session = api.session(user, inference_type="AUDIO")
    assert api.upload(user, session, 0, wav_chunk(30.0, rate)).status_code == 200


@pytest.mark.parametrize("rate", [8000, 22050, 96000])
def test_other_rates_are_refused(api: Api, rate: int) -> None:
    user = api.user()
    session = api.session(user, inference_type="AUDIO")
    r = api.upload(user, session, 0, wav_chunk(30.0, rate))
    assert (r.status_code, r.json()) == (400, {"detail": AUDIO_400})


def test_a_chunk_of_10_mb_or_more_is_refused(api: Api) -> None:
    user = api.user()
    session = api.session(user, inference_type="AUDIO")
    # 30 s of 48 kHz stereo 32-bit float: 11.5 MB, under the 16 MiB request cap.
    big = wav_chunk(30.0, 48000)
    big = big + b"\0" * (10 * 1024 * 1024 - len(big) + 1)
    r = api.upload(user, session, 0, big)
    assert (r.status_code, r.json()) == (400, {"detail": AUDIO_400})


def test_a_request_over_16_mib_is_413_with_the_documented_text(api: Api) -> None:
    user = api.user()
    session = api.session(user, inference_type="AUDIO")
    r = api.upload(user, session, 0, b"\0" * 16_777_217)
    assert (r.status_code, r.json()) == (413, {"detail": "HTTP length exceeded 16777216 bytes"})
    assert api.upload(user, session, 0, wav_chunk(30.0)).status_code == 200
