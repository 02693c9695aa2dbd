"""Kintsugi Voice's demo data: patients with v2 predictions over the last weeks.

Three patients with several v2 predictions each (unified, depression binary/severity
and anxiety models, one recording that failed the audio guardrails), most with
feedback (depression_binary, phq_2, phq_9, gad_7), made through ``KintsugiState``'s
own operations at the virtual moments they "happened". ``emulator.control.demo``
loads it (``Vendor.load_demo``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from emulator.core.lifecycle import ProgressionPolicy
from emulator.core.randomness import rng, token
from emulator.core.runtime import Runtime
from emulator.kintsugi import models as kintsugi_models
from emulator.kintsugi.outcomes import AUDIO_MESSAGES
from emulator.kintsugi.scores import MODELS

# Forcing a v2 prediction finished needs a policy under which it is not yet done.
_MANUAL: Final = ProgressionPolicy("manual")


@dataclass(frozen=True, slots=True)
class Patient:
    user_id: str
    metadata: dict[str, Any]
    # (model, feedback kinds) per prediction, oldest first; None model = a failed recording.
    predictions: tuple[tuple[str | None, tuple[str, ...]], ...]


PATIENTS: Final = (
    Patient(
        "demo-patient-1",
        {"age": 34, "gender": "female", "zipcode": "94110", "language": True, "weight": 140},
        (
            ("unified", ("phq_9", "gad_7")),
            ("unified", ("phq_2",)),
            ("depression_binary", ("depression_binary",)),
            ("unified", ("phq_9", "gad_7")),
            ("unified", ()),
        ),
    ),
    Patient(
        "demo-patient-2",
        {"age": 52, "gender": "male", "race": "asian", "weight": 180},
        (
            ("depression_severity", ("phq_9",)),
            ("anxiety_severity", ("gad_7",)),
            ("unified", ("depression_binary", "phq_2")),
            ("unified", ()),
        ),
    ),
    Patient(
        "demo-patient-3",
        {"age": 27, "ethnicity": "Hispanic, Latino, or Spanish Origin"},
        (
            ("unified", ("phq_2", "gad_7")),
            (None, ()),
            ("unified", ("depression_binary", "phq_9", "gad_7")),
            ("depression_binary", ()),
            ("unified", ("phq_9",)),
            ("unified", ()),
        ),
    ),
)
_ANSWERS: Final = {"phq_2": 2, "phq_9": 9, "gad_7": 7}


def load(rt: Runtime, api_key: str) -> dict[str, Any]:
    """Add the demo patients to ``api_key``'s (just reset) state; a summary."""
    return {"users": _load_kintsugi(rt, api_key, int(rt.clock.timestamp()))}


def _load_kintsugi(rt: Runtime, api_key: str, now: int) -> list[dict[str, Any]]:
    state = kintsugi_models.state_of(rt.store.namespace(api_key))
    seed = rt.store.seed
    summary: list[dict[str, Any]] = []
    for p_index, patient in enumerate(PATIENTS):
        count = len(patient.predictions)
        with_feedback = 0
        for n, (model_name, feedback) in enumerate(patient.predictions):
            stream = rng(seed, "demo", "kintsugi", p_index, n)
            # Spread over the last four weeks, a few days apart, oldest first.
            at = now - (count - n) * 5 * 86400 + stream.randint(-36000, 36000)
            session = state.initiate(
                seed=seed,
                user_id=patient.user_id,
                consent=True,
                metadata=dict(patient.metadata),
                api_version=2,
                now=float(at),
            )
            model = MODELS[model_name or "unified"]
            error = None
            fingerprint: str | None = token(seed, "demo", "recording", p_index, n, length=16)
            if model_name is None:
                code = "insufficient_audio_length"
                error = {"error": code, "message": AUDIO_MESSAGES[code]}
                fingerprint = None
            state.submit(
                session,
                seed=seed,
                model=model,
                outcome=state.outcome_for(session),
                fingerprint=fingerprint,
                error=error,
                api_version=2,
                now=float(at + 20),
            )
            state.advance(session.session_id, _MANUAL, float(at + 20 + stream.randint(4, 12)))
            for k, kind in enumerate(feedback):
                state.give_feedback(
                    session, kind, _feedback_value(stream, kind), float(at + 86400 + 60 * k)
                )
            with_feedback += bool(feedback)
        summary.append(
            {"user_id": patient.user_id, "predictions": count, "with_feedback": with_feedback}
        )
    return summary


def _feedback_value(stream: Any, kind: str) -> Any:
    if kind == "depression_binary":
        return stream.choice(("false", "true", "additional_consideration_required"))
    return [stream.randint(0, 3) for _ in range(_ANSWERS[kind])]
