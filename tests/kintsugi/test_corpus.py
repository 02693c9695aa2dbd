"""The voice guardrail on a regenerated corpus, through the HTTP API.

Each recording of tests/support/voice_corpus.py (espeak-ng speech, sox rooms and
telephone lines, numpy music and tones) is sent to ``POST /v1/predict/...`` and to
``POST /v2/prediction/`` (setting ``kintsugi.v2_audio_failure=reject``) with the
default thresholds and detector: speech with 30 s of voice is predicted, everything
else is 422 ``insufficient_audio_length`` (seed 002, audio file specification).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from tests.kintsugi.conftest import AUTH, client_for, initiate, settings
from tests.support.speech import ESPEAK, SOX
from tests.support.tools import missing
from tests.support.voice_corpus import CASES, Case, recording


@pytest.fixture(scope="module")
def guarded() -> Iterator[TestClient]:
    with client_for(settings(voice=30.0, v2_audio_failure="reject")) as client:
        yield client


def _needs(case: Case) -> None:
    speech = case.name.startswith(("speech", "short_speech"))
    if speech and ESPEAK is None:
        missing("espeak-ng", "apt-get install espeak-ng")
    if case.needs_sox and SOX is None:
        missing("sox", "apt-get install sox")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_each_recording_gets_its_expected_answer(guarded: TestClient, case: Case) -> None:
    _needs(case)
    audio = recording(case.name)
    r = guarded.post("/v1/initiate", headers=AUTH, data={"user_id": "c", "is_initiated": "true"})
    sid = r.json()["session_id"]
    r = guarded.post(
        "/v1/predict/server/depression/severity",
        headers=AUTH,
        data={"session_id": sid},
        files={"file": (f"{case.name}.wav", audio)},
    )
    v2 = guarded.post(
        "/v2/prediction/",
        headers=AUTH,
        data={"session_id": initiate(guarded)},
        files={"file": (f"{case.name}.wav", audio)},
    )
    if case.accept:
        assert r.status_code == 201, r.text
        assert v2.status_code == 202, v2.text
    else:
        assert (r.status_code, r.json()) == (422, {"error": "insufficient_audio_length"})
        assert (v2.status_code, v2.json()) == (422, {"message": "insufficient_audio_length"})
