"""Kintsugi's part of the demo data set: patients with predictions of every outcome.

``load(rt, api_key, receiver)`` fills one API key (already reset) with the ``PATIENTS``:
v2 predictions over the last weeks with the unified, depression (binary, severity)
and anxiety models, most with clinician feedback (depression_binary, PHQ-2, PHQ-9,
GAD-7); a v1 prediction; recordings the audio guardrails refused (each code); every
label of every model, forced where chance would not show it; and sessions caught
between steps: initiated and waiting for audio, initiated without consent, and a
prediction still processing (held until ``POST /_emulator/kintsugi/advance``).

Every prediction carries what the guardrails measured (rate, channels, duration,
seconds of voice) as the inspector shows it. Everything goes through
``KintsugiState``; the data is a pure function of the seed and the clock.
``emulator.control.demo`` loads it (``Vendor.load_demo``; Kintsugi sends no webhooks,
so the demo receiver is not used here).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Final

from emulator.core.lifecycle import ProgressionPolicy
from emulator.core.randomness import rng, token
from emulator.core.runtime import Runtime
from emulator.kintsugi import models
from emulator.kintsugi.errors import audio_message
from emulator.kintsugi.outcomes import NO_OUTCOME, Outcome
from emulator.kintsugi.scores import MODELS

# Forcing a v2 prediction finished needs a policy under which it is not yet done.
_MANUAL: Final = ProgressionPolicy("manual")
_ANSWERS: Final = {"phq_2": 2, "phq_9": 9, "gad_7": 7}
REFUSED: Final = "refused"  # a step whose recording fails the guardrails (its code follows)


@dataclass(frozen=True, slots=True)
class Step:
    """One session of a patient: its model (None: never predicted), feedback kinds,
    and what to force (labels, an audio error, hold)."""

    model: str | None
    feedback: tuple[str, ...] = ()
    outcome: Outcome = NO_OUTCOME
    consent: bool = True
    api_version: int = 2


@dataclass(frozen=True, slots=True)
class Patient:
    user_id: str
    metadata: dict[str, Any]
    steps: tuple[Step, ...]

    @property
    def predictions(self) -> int:
        return sum(1 for s in self.steps if s.model is not None)


_ERROR = Outcome(error="insufficient_audio_length")
_GREY = "additional_consideration_required"
PATIENTS: Final = (
    Patient(
        "demo-patient-1",
        {"age": 34, "gender": "female", "zipcode": "94110", "language": True, "weight": 140},
        (
            Step("unified", ("phq_9", "gad_7")),
            Step("unified", ("phq_2",)),
            Step("depression_binary", ("depression_binary",)),
            Step("unified", ("phq_9", "gad_7")),
            Step("unified"),
        ),
    ),
    Patient(
        "demo-patient-2",
        {"age": 52, "gender": "male", "race": "asian", "weight": 180},
        (
            Step("depression_severity", ("phq_9",)),
            Step("anxiety_severity", ("gad_7",)),
            Step("unified", ("depression_binary", "phq_2")),
            Step("unified"),
        ),
    ),
    Patient(
        "demo-patient-3",
        {"age": 27, "ethnicity": "Hispanic, Latino, or Spanish Origin"},
        (
            Step("unified", ("phq_2", "gad_7")),
            Step("unified", outcome=_ERROR),
            Step("unified", ("depression_binary", "phq_9", "gad_7")),
            Step("depression_binary"),
            Step("unified", ("phq_9",)),
            Step("unified"),
        ),
    ),
    Patient(
        "demo-patient-4",
        {"age": 61, "gender": "female", "language": False},
        (
            Step("depression_binary", outcome=Outcome(depression_binary="true"), api_version=1),
            Step("unified", ("phq_9", "gad_7"), Outcome("moderate_to_severe", None, "severe")),
            Step("unified", (), Outcome("no_to_mild", None, "no_or_minimal")),
            Step("unified", ("gad_7",), Outcome("mild_to_moderate", None, "moderate")),
            Step("anxiety_severity", (), Outcome(anxiety_severity="mild")),
            Step("depression_binary", (), Outcome(depression_binary="false")),
            Step("depression_binary", (), Outcome(depression_binary=_GREY)),
            Step("unified", outcome=Outcome(error="unstandard_audio")),
            Step("unified", outcome=Outcome(error="unsupported_audio_spec")),
            Step("unified", outcome=Outcome(hold=True)),
            Step(None),
            Step(None, consent=False),
        ),
    ),
)


def load(rt: Runtime, api_key: str, receiver: str) -> dict[str, Any]:
    """Fill ``api_key`` (already reset) with the Kintsugi demo; a summary of its patients."""
    return {"users": _load(rt, api_key, int(rt.clock.timestamp()))}


def _load(rt: Runtime, api_key: str, now: int) -> list[dict[str, Any]]:
    state = models.state_of(rt.store.namespace(api_key))
    seed = rt.store.seed
    summary: list[dict[str, Any]] = []
    for p_index, patient in enumerate(PATIENTS):
        count = len(patient.steps)
        with_feedback = 0
        for n, step in enumerate(patient.steps):
            stream = rng(seed, "demo", "kintsugi", p_index, n)
            # Spread over the last weeks, a few days apart (the last ones hours apart).
            gap = 5 * 86400 if p_index < 3 else 2 * 86400
            at = now - (count - n) * gap + stream.randint(-36000, 36000)
            session = state.initiate(
                seed=seed,
                user_id=patient.user_id,
                consent=step.consent,
                metadata=dict(patient.metadata),
                api_version=step.api_version,
                now=float(at),
            )
            if step.model is None:
                continue
            _predict(state, session, step, seed, (p_index, n), stream, float(at + 20))
            for k, kind in enumerate(step.feedback):
                value = _feedback_value(stream, kind)
                state.give_feedback(session, kind, value, float(at + 86400 + 60 * k))
            with_feedback += bool(step.feedback)
        summary.append(
            {
                "user_id": patient.user_id,
                "predictions": patient.predictions,
                "with_feedback": with_feedback,
            }
        )
    return summary


def _predict(
    state: models.KintsugiState,
    session: models.Session,
    step: Step,
    seed: int,
    where: tuple[int, int],
    stream: random.Random,
    at: float,
) -> None:
    assert step.model is not None
    outcome = step.outcome.over(state.outcome_for(session))
    audio = _audio(stream, outcome.error)
    error = None
    # Demo recordings have no samples: their labels come from a made-up fingerprint.
    fingerprint = token(seed, "demo", "recording", *where, length=16)
    evidence: models.Evidence | None = models.Evidence(None, None, fingerprint)
    if outcome.error is not None:
        error = {"error": outcome.error, "message": audio_message(outcome.error)}
        evidence = None
    state.submit(
        session,
        seed=seed,
        model=MODELS[step.model],
        outcome=outcome,
        evidence=evidence,
        error=error,
        api_version=step.api_version,
        now=at,
        audio=audio,
    )
    if not outcome.hold:
        state.advance(session.session_id, _MANUAL, at + stream.randint(4, 12))


def _audio(stream: random.Random, error: str | None) -> dict[str, Any]:
    """What the guardrails would have measured for such a recording."""
    rate = stream.choice((16000, 44100, 48000))
    duration = round(stream.uniform(42.0, 95.0), 3)
    channels, container = 1, "wav"
    voice: float | None = round(stream.uniform(30.0, duration - 8), 2)
    reason = None
    if error == "unstandard_audio":
        container, voice, reason = "mp3", None, "file looks like mp3, not WAV"
    elif error == "unsupported_audio_spec":
        channels, voice, reason = 2, None, "2 channels; at most 1 allowed"
    elif error == "insufficient_audio_length":
        duration, heard = round(stream.uniform(18.0, 28.0), 3), round(stream.uniform(9.0, 16.0), 2)
        voice, reason = heard, f"{heard:.2f} s of voice; 30 s needed"
    bits = 16 if container == "wav" else 0
    size = int(duration * rate * channels * bits / 8) + 44 if bits else int(duration * 16000)
    return {
        "container": container,
        "sample_rate": rate,
        "channels": channels,
        "duration_seconds": duration,
        "voice_seconds": voice,
        "voice_seconds_at_least": error is None,
        "size_bytes": size,
        "accepted": error is None,
        "reason": reason,
    }


def _feedback_value(stream: random.Random, kind: str) -> Any:
    if kind == "depression_binary":
        return stream.choice(("false", "true", "additional_consideration_required"))
    return [stream.randint(0, 3) for _ in range(_ANSWERS[kind])]
