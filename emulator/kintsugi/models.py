"""Kintsugi sessions, predictions and feedback, and the rules between them.

One session = one consent record = at most one prediction (seed 002 §1.0: "A single
session can only ever be associated with a single prediction"). v1 and v2 share the
session space (a third-party client initiates on /v1 and predicts on /v2,
kintsugi-api.md §1). State lives in two tables of the API key's namespace:

    kintsugi.sessions   session_id -> Session (with its Prediction and feedback)
    kintsugi.outcomes   "user:<id>" | "session:<id>" -> Outcome (forced results)

Rules, each raising the vendor error in the caller's API version:
* predict needs an initiated session (404 ``nonexistent_initiation``), with consent
  (see ``no_consent``), and no prediction yet (409 ``existent_session``);
* feedback and v2 GETs need a prediction (404 ``nonexistent_prediction`` [INFERRED]);
* a v2 prediction is `processing` until its ``Progress`` says it is done.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict

from emulator.audio import VoiceProfile
from emulator.core.lifecycle import Progress, ProgressionPolicy
from emulator.core.owners import refile
from emulator.core.randomness import digest
from emulator.core.tables import Namespace, Table
from emulator.kintsugi.errors import (
    ConsentNotProvided,
    ExistentSession,
    NonexistentInitiation,
    NonexistentPrediction,
)
from emulator.kintsugi.outcomes import Outcome, parse_user_id
from emulator.kintsugi.scores import MODELS, Model, labels, latents, margin

NoConsent = Literal["nonexistent_initiation", "consent_not_provided"]
# The actual_score keys in the order the records show them: binary keys first, because
# kintsugi-python takes the first non-PHQ key as the feedback category (§6.4).
FEEDBACK_KINDS = ("depression_binary", "anxiety_binary", "phq_2", "phq_9", "gad_7")
_HELD = ProgressionPolicy("manual")


@dataclass(slots=True)
class Prediction:
    model: str
    api_version: int
    submitted_at: float
    progress: Progress
    # category -> label; empty when the prediction failed.
    scores: dict[str, str] = field(default_factory=dict)
    # {"error": code, "message": text} when the audio failed the guardrails.
    error: dict[str, str] | None = None
    hold: bool = False
    completed_at: float | None = None
    fingerprint: str | None = None
    allowed_sample_rate: int | None = None
    # What the guardrails measured (screening.audio_summary); None when not inspected.
    audio: dict[str, Any] | None = None
    # What the labels were read from: the voice measure and profile, the latent scores
    # and their margin to the nearest cut (for the control API; not a vendor field).
    evidence: dict[str, Any] | None = None

    @property
    def spec(self) -> Model:
        return MODELS[self.model]

    def policy(self, default: ProgressionPolicy) -> ProgressionPolicy:
        return _HELD if self.hold else default

    def done(self, default: ProgressionPolicy, now: float) -> bool:
        return self.progress.done(self.policy(default), now)

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "api_version": self.api_version,
            "submitted_at": self.submitted_at,
            "progress": self.progress.to_json(),
            "scores": dict(self.scores),
            "error": self.error,
            "hold": self.hold,
            "completed_at": self.completed_at,
            "fingerprint": self.fingerprint,
            "allowed_sample_rate": self.allowed_sample_rate,
            "audio": self.audio,
            "evidence": self.evidence,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Prediction:
        return cls(
            model=data["model"],
            api_version=int(data["api_version"]),
            submitted_at=float(data["submitted_at"]),
            progress=Progress.from_json(data["progress"]),
            scores=dict(data.get("scores") or {}),
            error=data.get("error"),
            hold=bool(data.get("hold", False)),
            completed_at=data.get("completed_at"),
            fingerprint=data.get("fingerprint"),
            allowed_sample_rate=data.get("allowed_sample_rate"),
            audio=data.get("audio"),
            evidence=data.get("evidence"),
        )


class SessionJson(TypedDict):
    """A session as stored and as the control API lists it (``Session.to_json``)."""

    session_id: str
    user_id: str
    consent: bool
    metadata: dict[str, Any]
    api_version: int
    created_at: float
    seq: int
    prediction: dict[str, Any] | None
    feedback: dict[str, Any]
    feedback_at: float | None


@dataclass(slots=True)
class Session:
    session_id: str
    user_id: str
    consent: bool
    metadata: dict[str, Any]
    api_version: int
    created_at: float
    seq: int
    prediction: Prediction | None = None
    feedback: dict[str, Any] = field(default_factory=dict)
    feedback_at: float | None = None

    def ordered_feedback(self) -> dict[str, Any]:
        return {k: self.feedback[k] for k in FEEDBACK_KINDS if k in self.feedback}

    def to_json(self) -> SessionJson:
        return {
            "session_id": self.session_id,
            "user_id": self.user_id,
            "consent": self.consent,
            "metadata": self.metadata,
            "api_version": self.api_version,
            "created_at": self.created_at,
            "seq": self.seq,
            "prediction": self.prediction.to_json() if self.prediction else None,
            "feedback": self.ordered_feedback(),
            "feedback_at": self.feedback_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Session:
        raw = data.get("prediction")
        return cls(
            session_id=data["session_id"],
            user_id=data["user_id"],
            consent=bool(data["consent"]),
            metadata=dict(data.get("metadata") or {}),
            api_version=int(data["api_version"]),
            created_at=float(data["created_at"]),
            seq=int(data["seq"]),
            prediction=Prediction.from_json(raw) if raw else None,
            feedback=dict(data.get("feedback") or {}),
            feedback_at=data.get("feedback_at"),
        )


@dataclass(frozen=True, slots=True)
class Evidence:
    """What a recording's labels are read from: its voice (``profile``, with the
    detector's measure in ``voice``), or when no voice was found its ``fingerprint``."""

    voice: dict[str, Any] | None
    profile: VoiceProfile | None
    fingerprint: str | None

    def to_json(self) -> dict[str, Any]:
        return {"voice": self.voice, "fingerprint": self.fingerprint}


def session_id_for(seed: int, tenant: str, n: int) -> str:
    """A UUID4-shaped id, reproducible from (seed, API key, n) [INFERRED format]."""
    raw = digest(seed, "kintsugi", tenant, "session", n)[:16]
    return str(uuid.UUID(bytes=raw, version=4))


class KintsugiState:
    """One API key's Kintsugi world; methods mirror the vendor's operations."""

    def __init__(self, ns: Namespace) -> None:
        self.ns = ns
        self.sessions: Table[Session] = ns.table("kintsugi.sessions", Session.from_json)
        self.outcomes: Table[Outcome] = ns.table("kintsugi.outcomes", Outcome.from_json)
        # Derived index (not persisted): user_id -> session ids in creation order.
        self._by_user: dict[str, list[str]] = {}
        for s in sorted(self.sessions.values(), key=lambda s: s.seq):
            self._by_user.setdefault(s.user_id, []).append(s.session_id)

    def changed(self, table: str, key: str, old: Any) -> None:
        """Another emulator process changed a row (``--state-url``): keep the index."""
        if table != "kintsugi.sessions":
            return
        session = self.sessions.peek(key)
        refile(
            self._by_user,
            key,
            was=old.user_id if old is not None else None,
            now=session.user_id if session is not None else None,
            order=lambda sid: getattr(self.sessions.peek(sid), "seq", 0),
        )

    # -- sessions -----------------------------------------------------------------

    def initiate(
        self,
        *,
        seed: int,
        user_id: str,
        consent: bool,
        metadata: dict[str, Any],
        api_version: int,
        now: float,
    ) -> Session:
        seq = self.ns.next_id("kintsugi.session")
        session = Session(
            session_id=session_id_for(seed, self.ns.tenant, seq),
            user_id=user_id,
            consent=consent,
            metadata=metadata,
            api_version=api_version,
            created_at=now,
            seq=seq,
        )
        self.sessions.put(session.session_id, session)
        self._by_user.setdefault(user_id, []).append(session.session_id)
        return session

    def _existing(self, session_id: str | None, version: int, no_consent: NoConsent) -> Session:
        session = self.sessions.get(session_id) if session_id else None
        if session is None:
            raise NonexistentInitiation(version=version)
        if not session.consent:
            # seed 002: with is_initiated=false "a session is not created", so by default
            # it is as unknown as any other id.
            if no_consent == "consent_not_provided":
                raise ConsentNotProvided(version=version)
            raise NonexistentInitiation(version=version)
        return session

    def open_for_prediction(
        self, session_id: str | None, *, version: int, no_consent: NoConsent
    ) -> Session:
        """The session a prediction may be submitted for, or the vendor's refusal."""
        session = self._existing(session_id, version, no_consent)
        if session.prediction is not None:
            raise ExistentSession(version=version)
        return session

    def predicted(self, session_id: str | None, *, version: int, no_consent: NoConsent) -> Session:
        """A session that has a prediction (for GET and feedback)."""
        session = self._existing(session_id, version, no_consent)
        if session.prediction is None:
            raise NonexistentPrediction(version=version)
        return session

    def by_user(self, user_id: str) -> list[Session]:
        found = (self.sessions.get(sid) for sid in self._by_user.get(user_id, ()))
        return [s for s in found if s is not None and s.prediction is not None]

    # -- predictions --------------------------------------------------------------

    def outcome_for(self, session: Session) -> Outcome:
        outcome = parse_user_id(session.user_id)
        for key in (f"user:{session.user_id}", f"session:{session.session_id}"):
            stored = self.outcomes.get(key)
            if stored is not None:
                outcome = stored.over(outcome)
        return outcome

    def submit(
        self,
        session: Session,
        *,
        seed: int,
        model: Model,
        outcome: Outcome,
        error: dict[str, str] | None,
        api_version: int,
        now: float,
        evidence: Evidence | None = None,
        allowed_sample_rate: int | None = None,
        audio: dict[str, Any] | None = None,
    ) -> Prediction:
        """Attach the one prediction to a session: failed (``error``) or scored.

        Scores come from the recording's voice profile (or, without one, its
        fingerprint); a forced outcome's labels win over them."""
        scores: dict[str, str] = {}
        shown: dict[str, Any] | None = None
        if error is None:
            assert evidence is not None
            found = latents(seed, profile=evidence.profile, fingerprint=evidence.fingerprint)
            synthetic = labels(found, model)
            for category in model.categories:
                scores[category] = outcome.label(model, category) or synthetic[category]
            shown = {
                **evidence.to_json(),
                "depression_score": round(found.depression, 4),
                "anxiety_score": round(found.anxiety, 4),
                "margin": round(margin(found), 4),
            }
        synchronous = api_version == 1
        prediction = Prediction(
            model=model.name,
            api_version=api_version,
            submitted_at=now,
            progress=Progress(started_at=now, forced=synchronous),
            scores=scores,
            error=error,
            hold=bool(outcome.hold) and not synchronous,
            completed_at=now if synchronous else None,
            fingerprint=evidence.fingerprint if evidence else None,
            allowed_sample_rate=allowed_sample_rate,
            audio=audio,
            evidence=shown,
        )
        session.prediction = prediction
        self.sessions.put(session.session_id, session)
        return prediction

    def look(self, session: Session, policy: ProgressionPolicy, now: float) -> bool:
        """A client fetched the record: count the poll; True when it now sees the result."""
        prediction = session.prediction
        assert prediction is not None
        effective = prediction.policy(policy)
        before = (prediction.progress.polls, prediction.completed_at)
        finished = prediction.progress.observe(effective, now)
        if finished and prediction.completed_at is None:
            prediction.completed_at = _completion_time(prediction, effective, now)
        if (prediction.progress.polls, prediction.completed_at) != before:
            self.sessions.put(session.session_id, session)  # only real changes are written
        return finished

    def advance(self, session_id: str | None, policy: ProgressionPolicy, now: float) -> list[str]:
        """Finish processing predictions (all, or one session's); the ids finished."""
        targets = [self.sessions.get(session_id)] if session_id else self.sessions.values()
        finished: list[str] = []
        for session in targets:
            if session is None or session.prediction is None:
                continue
            if session.prediction.done(policy, now):
                continue
            session.prediction.progress.force()
            session.prediction.completed_at = now
            self.sessions.put(session.session_id, session)
            finished.append(session.session_id)
        return finished

    # -- feedback -----------------------------------------------------------------

    def give_feedback(self, session: Session, kind: str, value: Any, now: float) -> None:
        assert kind in FEEDBACK_KINDS
        # PATCH semantics: a later answer of the same kind replaces the earlier one.
        session.feedback[kind] = value
        session.feedback = session.ordered_feedback()
        session.feedback_at = now
        self.sessions.put(session.session_id, session)

    # -- forced outcomes ----------------------------------------------------------

    def set_outcome(self, key: str, outcome: Outcome) -> None:
        if outcome.empty:
            self.outcomes.delete(key)
        else:
            self.outcomes.put(key, outcome)


def _completion_time(prediction: Prediction, policy: ProgressionPolicy, now: float) -> float:
    """When the work "finished" on the virtual clock, for `updated_at`."""
    if policy.mode == "immediate":
        return prediction.submitted_at
    if policy.mode == "seconds" and not prediction.progress.forced:
        return min(now, prediction.submitted_at + policy.seconds)
    return now


def state_of(ns: Namespace) -> KintsugiState:
    return ns.state(KintsugiState, KintsugiState)
