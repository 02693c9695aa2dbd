"""Labels from latents: deterministic, consistent across models, shifted by the seed, and the
fingerprint fallback for recordings without a voice (with its priors)."""

from __future__ import annotations

from collections import Counter

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from emulator.audio import Encoding, VoiceProfile
from emulator.kintsugi.scores import (
    ANXIETY_SEVERITY,
    DEPRESSION_BINARY,
    DEPRESSION_SEVERITY,
    MODELS,
    SEED_SHIFT,
    Category,
    latents,
    margin,
    predict,
    seed_shift,
)
from emulator.kintsugi.voice import scores
from emulator.settings import Settings
from tests.kintsugi.conftest import client_for, finished, initiate, settings, submit
from tests.support.wavs import noise, noise_wav, wav

D, A = Category.DEPRESSION, Category.ANXIETY

profiles = st.builds(
    VoiceProfile,
    voice_seconds=st.floats(1, 60),
    pitch_hz=st.floats(55, 420),
    pitch_range_st=st.floats(0, 12),
    level_dbfs=st.floats(-90, 0),
    loudness_range_db=st.floats(0, 30),
    speaking_rate_hz=st.floats(0, 10),
    pause_ratio=st.floats(0, 0.9),
)
evidence = st.one_of(
    profiles.map(lambda p: {"profile": p}),
    st.text(max_size=64).map(lambda f: {"fingerprint": f}),
)


@given(st.integers(0, 2**32), evidence)
def test_same_inputs_same_labels(seed: int, found: dict[str, object]) -> None:
    for model in MODELS.values():
        first = predict(seed, model, **found)  # type: ignore[arg-type]
        assert first == predict(seed, model, **found)  # type: ignore[arg-type]
        assert set(first) == set(model.categories)
        for category, label in first.items():
            assert label in model.labels(category)


@given(st.integers(0, 2**32), evidence)
def test_models_agree_about_one_recording(seed: int, found: dict[str, object]) -> None:
    severity = predict(seed, MODELS["depression_severity"], **found)[D]  # type: ignore[arg-type]
    binary = predict(seed, MODELS["depression_binary"], **found)[D]  # type: ignore[arg-type]
    unified = predict(seed, MODELS["unified"], **found)  # type: ignore[arg-type]
    assert unified[D] == severity
    assert unified[A] == predict(seed, MODELS["anxiety_severity"], **found)[A]  # type: ignore[arg-type]
    # One cut point shared: "false" is exactly "no_to_mild".
    assert (severity == "no_to_mild") is (binary == "false")
    if severity == "moderate_to_severe":
        assert binary == "true"


@given(st.integers(0, 2**32), profiles)
def test_the_seed_moves_voice_scores_by_a_bounded_shift(seed: int, profile: VoiceProfile) -> None:
    raw = scores(profile)
    shifted = latents(seed, profile=profile, fingerprint=None)
    shift = seed_shift(seed)
    assert abs(shift) <= SEED_SHIFT
    assert shifted.depression == min(0.999_999, max(0.0, raw.depression + shift))
    assert shifted.anxiety == min(0.999_999, max(0.0, raw.anxiety + shift))
    assert 0 <= margin(shifted) <= 1


def test_seeds_shift_differently() -> None:
    assert len({round(seed_shift(seed), 6) for seed in range(20)}) == 20


def test_without_a_voice_labels_spread_like_the_priors() -> None:
    n = 4000
    counts: dict[str, Counter[str]] = {"sev": Counter(), "bin": Counter(), "anx": Counter()}
    for i in range(n):
        fp = f"{i:064x}"
        counts["sev"][predict(0, MODELS["depression_severity"], fingerprint=fp)[D]] += 1
        counts["bin"][predict(0, MODELS["depression_binary"], fingerprint=fp)[D]] += 1
        counts["anx"][predict(0, MODELS["anxiety_severity"], fingerprint=fp)[A]] += 1
    expected = {
        "sev": dict(zip(DEPRESSION_SEVERITY, (0.50, 0.30, 0.20), strict=True)),
        "bin": dict(zip(DEPRESSION_BINARY, (0.50, 0.35, 0.15), strict=True)),
        "anx": dict(zip(ANXIETY_SEVERITY, (0.45, 0.30, 0.15, 0.10), strict=True)),
    }
    for name, shares in expected.items():
        for label, share in shares.items():
            assert abs(counts[name][label] / n - share) < 0.03, (name, label, counts[name])


def test_the_seed_changes_fingerprint_results() -> None:
    fps = [f"{i:064x}" for i in range(50)]
    model = MODELS["unified"]
    first = [predict(0, model, fingerprint=f) for f in fps]
    assert first != [predict(1, model, fingerprint=f) for f in fps]


# -- through HTTP: without a voice the decoded samples decide, not the file bytes ------


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


def test_different_noise_recordings_spread_over_labels(emulator_client: TestClient) -> None:
    seen = {_labels(emulator_client, noise_wav(s, seconds=0.25))[0] for s in range(40)}
    assert seen == set(DEPRESSION_SEVERITY)
