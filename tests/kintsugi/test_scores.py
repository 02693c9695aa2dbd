"""Deterministic, plausibly spread results: the pure generator and the HTTP path."""

from __future__ import annotations

from collections import Counter

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from emulator.audio import Encoding
from emulator.kintsugi.scores import (
    ANXIETY_SEVERITY,
    DEPRESSION_BINARY,
    DEPRESSION_SEVERITY,
    MODELS,
    Category,
    predict,
)
from emulator.settings import Settings
from tests.kintsugi.conftest import client_for, finished, initiate, settings, submit
from tests.kintsugi.wavs import noise, noise_wav, wav

D, A = Category.DEPRESSION, Category.ANXIETY


@given(st.integers(0, 2**32), st.text(max_size=64))
def test_same_inputs_same_labels(seed: int, fingerprint: str) -> None:
    for model in MODELS.values():
        first = predict(seed, fingerprint, model)
        assert first == predict(seed, fingerprint, model)
        assert set(first) == set(model.categories)
        for category, label in first.items():
            assert label in model.labels(category)


@given(st.integers(0, 2**32), st.text(max_size=64))
def test_models_agree_about_one_recording(seed: int, fingerprint: str) -> None:
    severity = predict(seed, fingerprint, MODELS["depression_severity"])[D]
    binary = predict(seed, fingerprint, MODELS["depression_binary"])[D]
    unified = predict(seed, fingerprint, MODELS["unified"])
    assert unified[D] == severity
    assert unified[A] == predict(seed, fingerprint, MODELS["anxiety_severity"])[A]
    if severity == "no_to_mild":
        assert binary == "false"
    if severity == "moderate_to_severe":
        assert binary == "true"


def test_labels_spread_like_the_priors() -> None:
    n = 4000
    counts: dict[str, Counter[str]] = {"sev": Counter(), "bin": Counter(), "anx": Counter()}
    for i in range(n):
        fp = f"{i:064x}"
        counts["sev"][predict(0, fp, MODELS["depression_severity"])[D]] += 1
        counts["bin"][predict(0, fp, MODELS["depression_binary"])[D]] += 1
        counts["anx"][predict(0, fp, MODELS["anxiety_severity"])[A]] += 1
    expected = {
        "sev": dict(zip(DEPRESSION_SEVERITY, (0.50, 0.30, 0.20), strict=True)),
        "bin": dict(zip(DEPRESSION_BINARY, (0.55, 0.35, 0.10), strict=True)),
        "anx": dict(zip(ANXIETY_SEVERITY, (0.45, 0.30, 0.15, 0.10), strict=True)),
    }
    for name, shares in expected.items():
        for label, share in shares.items():
            assert abs(counts[name][label] / n - share) < 0.03, (name, label, counts[name])


def test_the_seed_changes_results() -> None:
    fps = [f"{i:064x}" for i in range(50)]
    model = MODELS["unified"]
    assert [predict(0, f, model) for f in fps] != [predict(1, f, model) for f in fps]


# -- through HTTP: the decoded samples decide, not the file bytes -----------------


def _labels(client: TestClient, audio: bytes) -> tuple[object, object]:
    sid = initiate(client)
    submit(client, sid, audio)
    body = finished(client, sid)
    return body["predicted_score_depression"], body["predicted_score_anxiety"]


def test_same_audio_same_result_across_sessions_and_encodings(
    emulator_client: TestClient,
) -> None:
    for seed in range(4):
        # On the 16-bit grid, so every encoding below holds exactly the same samples.
        samples = np.rint(noise(seed) * 32768) / 32768
        first = _labels(emulator_client, wav(samples, 16000))
        assert _labels(emulator_client, wav(samples, 16000)) == first
        for encoding in (Encoding.PCM_S24, Encoding.PCM_S32, Encoding.FLOAT32):
            assert wav(samples, 16000, encoding) != wav(samples, 16000)
            assert _labels(emulator_client, wav(samples, 16000, encoding)) == first


def test_same_seed_same_results_in_a_fresh_emulator() -> None:
    recordings = [noise_wav(s) for s in range(8)]
    runs = []
    for s in (settings(), settings(), Settings(seed=99, kintsugi=settings().kintsugi)):
        with client_for(s) as client:
            runs.append([_labels(client, a) for a in recordings])
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_different_recordings_spread_over_labels(emulator_client: TestClient) -> None:
    seen = {_labels(emulator_client, noise_wav(s, seconds=0.25))[0] for s in range(40)}
    assert seen == set(DEPRESSION_SEVERITY)
