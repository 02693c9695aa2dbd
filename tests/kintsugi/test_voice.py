"""Predictions follow the voice: from a `VoiceProfile` to scores, and through the HTTP API.

* the mapping leans the documented way (flat, slow, pausing, very quiet -> more severe);
* different speakers spread over every label of every model;
* the same recording keeps its labels under every edit nobody can hear (issue 14's list:
  +-2 dB gain, polarity, 20 ms of leading silence, resampling to 16 kHz, 24-bit, dither),
  for several speakers, explicitly and as a Hypothesis property over random edits;
* forced outcomes and magic values still win, and the seed still shifts results.

Speech is espeak-ng (tests/support/speech.py); tests skip without it.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from emulator.audio import VoiceProfile, check_voice
from emulator.audio.writer import encode_wav
from emulator.kintsugi.scores import (
    ANXIETY_SEVERITY,
    DEPRESSION_BINARY,
    DEPRESSION_SEVERITY,
    MODELS,
    labels,
    latents,
    seed_shift,
)
from emulator.kintsugi.voice import scores
from emulator.settings import Settings
from tests.kintsugi.conftest import AUTH, client_for, finished, initiate
from tests.kintsugi.conftest import settings as k_settings
from tests.support.speech import ESPEAK, SPEAKERS, Speech
from tests.support.tools import missing
from tests.support.variants import VARIANTS

needs_espeak = pytest.mark.usefixtures("espeak")


@pytest.fixture
def espeak() -> None:
    if ESPEAK is None:
        missing("espeak-ng", "apt-get install espeak-ng")


NEUTRAL = VoiceProfile(30.0, 120.0, 3.0, -28.0, 9.0, 4.6, 0.1)

# -- the mapping ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "towards_severe"),
    [
        ("pitch_range_st", -1),  # flatter intonation
        ("speaking_rate_hz", -1),  # slower speech
        ("pause_ratio", +1),  # longer pauses
        ("loudness_range_db", -1),  # flatter loudness
        ("level_dbfs", -1),  # a quieter voice
        ("pitch_hz", -1),  # a lower voice
    ],
)
@given(st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_each_measure_leans_one_way(field: str, towards_severe: int, a: float, b: float) -> None:
    spans = {
        "pitch_range_st": (0.0, 8.0),
        "speaking_rate_hz": (2.0, 7.0),
        "pause_ratio": (0.0, 0.6),
        "loudness_range_db": (0.0, 20.0),
        "level_dbfs": (-90.0, 0.0),
        "pitch_hz": (55.0, 400.0),
    }
    low, high = spans[field]
    first, second = sorted((low + a * (high - low), low + b * (high - low)))
    lower = scores(dataclasses.replace(NEUTRAL, **{field: first})).depression
    higher = scores(dataclasses.replace(NEUTRAL, **{field: second})).depression
    assert (higher - lower) * towards_severe >= 0


def test_a_normal_recording_level_does_not_matter() -> None:
    """Only a very quiet voice counts: between -50 and 0 dBFS gain cannot move a score."""
    for level in (-50.0, -40.0, -28.0, -10.0, 0.0):
        assert scores(dataclasses.replace(NEUTRAL, level_dbfs=level)) == scores(NEUTRAL)


# -- through the HTTP API --------------------------------------------------------------


@functools.cache
def _speech(name: str, voiced_seconds: float = 34.0) -> Speech:
    return SPEAKERS[name].speech(voiced_seconds)


def _v2(client: TestClient, audio: bytes, user_id: str = "speaker") -> dict[str, object]:
    sid = initiate(client, user_id)
    r = client.post(
        "/v2/prediction/", headers=AUTH, data={"session_id": sid}, files={"file": audio}
    )
    assert r.status_code == 202, r.text
    return finished(client, sid)


def _binary(client: TestClient, audio: bytes) -> str:
    r = client.post(
        "/v1/initiate", headers=AUTH, data={"user_id": "speaker", "is_initiated": "true"}
    )
    sid = r.json()["session_id"]
    r = client.post(
        "/v1/predict/server/depression/binary",
        headers=AUTH,
        data={"session_id": sid},
        files={"file": audio},
    )
    assert r.status_code == 201, r.text
    label: str = r.json()["data"]["name"]
    return label


@pytest.fixture(scope="module")
def voice_client() -> Iterator[TestClient]:
    """The default guardrail (30 s of voice) and detector."""
    with client_for(k_settings(voice=30.0)) as client:
        yield client


@needs_espeak
def test_speakers_spread_over_every_label(voice_client: TestClient) -> None:
    seen: dict[str, set[object]] = {"depression": set(), "anxiety": set(), "binary": set()}
    for name in SPEAKERS:
        audio = _speech(name).wav()
        record = _v2(voice_client, audio)
        seen["depression"].add(record["predicted_score_depression"])
        seen["anxiety"].add(record["predicted_score_anxiety"])
        seen["binary"].add(_binary(voice_client, audio))
    assert seen == {
        "depression": set(DEPRESSION_SEVERITY),
        "anxiety": set(ANXIETY_SEVERITY),
        "binary": set(DEPRESSION_BINARY),
    }


@needs_espeak
def test_flat_slow_quiet_speech_leans_to_higher_severity(voice_client: TestClient) -> None:
    def score(speech: Speech) -> float:
        sid = initiate(voice_client, "same-sentences")
        r = voice_client.post(
            "/v2/prediction/", headers=AUTH, data={"session_id": sid}, files={"file": speech.wav()}
        )
        assert r.status_code == 202, r.text
        sessions = voice_client.get("/_emulator/kintsugi/sessions", headers=AUTH).json()
        [found] = [s for s in sessions["sessions"] if s["session_id"] == sid]
        value: float = found["prediction"]["evidence"]["depression_score"]
        return value

    lively, flat = score(_speech("lively", 40.0)), score(_speech("flat_slow", 40.0))
    quiet = score(_speech("flat_slow", 40.0).peak(-45.0))
    assert lively < flat <= quiet


@needs_espeak
def test_the_evidence_is_shown_to_the_control_api(voice_client: TestClient) -> None:
    record = _v2(voice_client, _speech("neutral").wav(), "shown")
    assert record["status"] == "success"
    sessions = voice_client.get("/_emulator/kintsugi/sessions", headers=AUTH).json()["sessions"]
    evidence = next(s for s in sessions if s["user_id"] == "shown")["prediction"]["evidence"]
    assert evidence["voice"]["detector"] == "silero"
    assert evidence["voice"]["seconds"] >= 30.0
    assert set(evidence["voice"]["profile"]) >= {"pitch_hz", "speaking_rate_hz", "pause_ratio"}
    assert evidence["fingerprint"] is None
    assert 0 < evidence["margin"] < 0.5


@needs_espeak
def test_forced_outcomes_and_the_seed_still_win(voice_client: TestClient) -> None:
    audio = _speech("lively").wav()
    forced = _v2(voice_client, audio, "p+emu-result:moderate_to_severe+emu-result:severe")
    assert forced["predicted_score_depression"] == "moderate_to_severe"
    assert forced["predicted_score_anxiety"] == "severe"
    # The seed moves every voice score by its shift (emulator.kintsugi.scores.seed_shift).
    found = {}
    for seed in (0, 6):
        with client_for(Settings(seed=seed, kintsugi=k_settings(voice=30.0).kintsugi)) as client:
            _v2(client, _speech("neutral").wav(), "seeded")
            sessions = client.get("/_emulator/kintsugi/sessions", headers=AUTH).json()
            found[seed] = sessions["sessions"][0]["prediction"]["evidence"]["depression_score"]
    assert found[6] - found[0] == pytest.approx(seed_shift(6) - seed_shift(0), abs=2e-4)
    assert found[6] != found[0]


# -- imperceptible edits keep the labels ------------------------------------------------

STABLE = ("lively", "subdued", "flat_slow", "hurried")


@needs_espeak
@pytest.mark.parametrize("name", STABLE)
def test_every_inaudible_edit_keeps_the_labels(voice_client: TestClient, name: str) -> None:
    speech = _speech(name)
    answers = set()
    for variant in VARIANTS.values():
        audio = variant(speech.samples, speech.rate)
        record = _v2(voice_client, audio)
        answers.add(
            (
                record["predicted_score_depression"],
                record["predicted_score_anxiety"],
                _binary(voice_client, audio),
            )
        )
    assert len(answers) == 1, answers


def _all_labels(audio: bytes) -> tuple[str, ...]:
    # The labels are read from the first 30 s of voice, whatever the guardrail says.
    verdict = check_voice(audio, min_voice_seconds=0.0, profile_seconds=30.0)
    assert verdict.voice is not None
    assert verdict.voice.profile is not None
    found = latents(0, profile=verdict.voice.profile, fingerprint=None)
    return tuple(label for model in MODELS.values() for label in labels(found, model).values())


edits = st.fixed_dictionaries(
    {
        "gain_db": st.floats(-2.0, 2.0),
        "invert": st.booleans(),
        "lead_ms": st.floats(0.0, 20.0),
        "dither": st.booleans(),
        "seed": st.integers(0, 2**16),
    }
)


@needs_espeak
@settings(
    max_examples=24,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.sampled_from(STABLE), edits)
def test_random_inaudible_edits_keep_the_labels(name: str, edit: dict[str, float]) -> None:
    """The same path as the routes (check_voice -> profile -> latents -> every model)."""
    speech = _speech(name)
    samples = speech.samples * 10 ** (edit["gain_db"] / 20) * (-1 if edit["invert"] else 1)
    samples = np.concatenate([np.zeros(round(edit["lead_ms"] / 1000 * speech.rate)), samples])
    if edit["dither"]:
        rng = np.random.default_rng(int(edit["seed"]))
        samples += (rng.uniform(-0.5, 0.5, len(samples)) * 2) / 32768
    assert _all_labels(encode_wav(samples, speech.rate)) == _all_labels(speech.wav())


def test_the_detector_setting_reaches_the_guardrail() -> None:
    """``audio.vad`` reaches Kintsugi's guardrail: its detector is the one the predictions
    report."""
    from dataclasses import replace

    from emulator.audio import AudioSettings
    from emulator.audio.synth import speech_like

    audio = encode_wav(speech_like(40.0, 16000, seed=3).samples, 16000)
    heuristic = replace(k_settings(voice=30.0), audio=AudioSettings(vad="heuristic"))
    with client_for(heuristic) as client:
        _v2(client, audio, "heard")
        sessions = client.get("/_emulator/kintsugi/sessions", headers=AUTH).json()["sessions"]
    assert sessions[0]["prediction"]["evidence"]["voice"]["detector"] == "heuristic"


@needs_espeak
@pytest.mark.slow
def test_random_speakers_rarely_change_a_label_under_inaudible_edits() -> None:
    """How often a *random* synthetic speaker sits so close to a cut point that some
    inaudible edit changes one of its labels (docs/voice.md quotes the printed figure)."""
    from tests.support.speech import Speaker, Voice

    rng = np.random.default_rng(7)
    names = ["en-us", "en-gb", "en-us+m3", "en-gb+f3", "en-gb-scotland+f2", "en-us+f4", "en-029"]
    ranges = ["x-low", "low", "medium", "high", "x-high"]
    fragile = []
    count = 20
    for index in range(count):
        voice = Voice(
            str(rng.choice(names)),
            int(rng.integers(5, 95)),
            int(rng.integers(110, 230)),
            range=str(rng.choice(ranges)),
        )
        pause = (float(rng.uniform(0.15, 0.6)), float(rng.uniform(0.7, 2.0)))
        speech = Speaker(voice, pause).speech(34.0, seed=1000 + index)
        speech = speech.peak(float(rng.uniform(-30.0, -3.0)))
        base = _all_labels(speech.wav())
        changed = [
            name
            for name, variant in VARIANTS.items()
            if _all_labels(variant(speech.samples, speech.rate)) != base
        ]
        if changed:
            fragile.append((voice, changed))
    print(f"\n{len(fragile)} of {count} random speakers changed a label: {fragile}")
    assert len(fragile) <= 2
