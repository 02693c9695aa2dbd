"""Read-only Kintsugi controls under ``/_emulator/kintsugi``: a tenant's sessions.

* ``GET /sessions`` - the tenant's sessions (``X-API-Key``) with their status, oldest
  first by creation time; without paging parameters all of them; with ``limit``,
  ``offset``, ``order=desc`` and ``user_id`` a page of them; ``total`` counts them all;
* ``GET /sessions/{session_id}`` - one session: consent, metadata, its prediction
  (model, granularity, status, labels, predict_error), what the audio guardrails
  measured (rate, channels, duration, seconds of voice) and the clinician feedback.
  (The listing's items carry the whole stored prediction, with the ``evidence`` its
  labels were read from: docs/voice.md.)

Looking never counts as a client's poll: a ``processing`` prediction stays so. The
labels of a prediction still processing are null, as the vendor's record shows them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from emulator.core.control_tenant import named_tenant
from emulator.core.errors import ControlError
from emulator.core.lifecycle import ProgressionPolicy
from emulator.core.runtime import Runtime, runtime
from emulator.kintsugi.models import KintsugiState, Session, state_of

MAX_LIMIT: Final = 500


def control_state(request: Request) -> tuple[Runtime, KintsugiState]:
    """The runtime and the Kintsugi state of the tenant named by ``X-API-Key``."""
    rt = runtime(request)
    key = named_tenant(request)  # X-API-Key (``?api_key=`` is an alias)
    if not key:
        raise ControlError(
            "send the X-API-Key of the tenant whose Kintsugi state you mean",
            error_code="missing_api_key",
        )
    return rt, state_of(rt.store.namespace(key))


def _policy(rt: Runtime) -> ProgressionPolicy:
    return rt.progression("kintsugi")


def status_of(session: Session, policy: ProgressionPolicy, now: float) -> str:
    """initiated, no_consent, processing, success or failed (never counts a poll)."""
    prediction = session.prediction
    if prediction is None:
        return "initiated" if session.consent else "no_consent"
    if not prediction.done(policy, now):
        return "processing"
    return "failed" if prediction.error else "success"


def iso(ts: float | None) -> str | None:
    """A stored instant as ISO 8601 UTC (the control API's time format)."""
    return None if ts is None else datetime.fromtimestamp(ts, UTC).isoformat()


def updated_at(session: Session, finished: bool) -> float:
    """When the session last changed as a client would see it (the v2 ``updated_at``)."""
    latest = session.created_at
    prediction = session.prediction
    if prediction is not None:
        latest = max(latest, prediction.submitted_at)
        if finished and prediction.completed_at is not None:
            latest = max(latest, prediction.completed_at)
    if session.feedback_at is not None:
        latest = max(latest, session.feedback_at)
    return latest


def _item(session: Session, policy: ProgressionPolicy, now: float) -> dict[str, Any]:
    status = status_of(session, policy, now)
    return {
        **session.to_json(),
        "status": status,
        "created_time": iso(session.created_at),
        "updated_time": iso(updated_at(session, status in ("success", "failed"))),
    }


def _count(raw: str) -> int | None:
    """A non-negative integer in ASCII digits (any size an offset may be), else None."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 4000:  # int()'s digit limit
        return None
    return int(raw)


def _paging(request: Request) -> tuple[int | None, int, bool, str | None]:
    q = request.query_params
    raw_limit, raw_offset, order = q.get("limit"), q.get("offset", "0"), q.get("order", "asc")
    limit = None if raw_limit is None else _count(raw_limit)
    if raw_limit is not None and (limit is None or not 1 <= limit <= MAX_LIMIT):
        raise ControlError(f"limit must be an integer from 1 to {MAX_LIMIT}")
    offset = _count(raw_offset)
    if offset is None:
        raise ControlError("offset must be a non-negative integer")
    if order not in ("asc", "desc"):
        raise ControlError("order must be asc (oldest first) or desc (newest first)")
    user_id = q.get("user_id")
    if user_id == "":
        raise ControlError("user_id must not be empty; omit it for every user")
    return limit, offset, order == "desc", user_id


async def list_sessions(request: Request) -> Response:
    rt, state = control_state(request)
    limit, offset, newest_first, user_id = _paging(request)
    policy, now = _policy(rt), rt.clock.timestamp()
    sessions = state.sessions.values()
    if user_id is not None:
        sessions = [s for s in sessions if s.user_id == user_id]
    # By the virtual time they were made (the clock may have been set back), then seq.
    sessions.sort(key=lambda s: (s.created_at, s.seq), reverse=newest_first)
    end = None if limit is None else offset + limit
    return JSONResponse(
        {
            "total": len(sessions),
            "offset": offset,
            "limit": limit,
            "sessions": [_item(s, policy, now) for s in sessions[offset:end]],
        }
    )


def session_view(rt: Runtime, session: Session) -> dict[str, Any]:
    policy, now = _policy(rt), rt.clock.timestamp()
    status = status_of(session, policy, now)
    finished = status in ("success", "failed")
    return {
        "session_id": session.session_id,
        "user_id": session.user_id,
        "consent": session.consent,
        "metadata": session.metadata,
        "api_version": session.api_version,
        "status": status,
        "created_at": iso(session.created_at),
        "updated_at": iso(updated_at(session, finished)),
        "prediction": _prediction(session, finished),
        "feedback": session.ordered_feedback(),
        "feedback_at": iso(session.feedback_at),
    }


def _prediction(session: Session, finished: bool) -> dict[str, Any] | None:
    prediction = session.prediction
    if prediction is None:
        return None
    model = prediction.spec
    return {
        "model": model.name,
        "model_category": model.category_field,
        "model_granularity": model.granularity.value,
        "api_version": prediction.api_version,
        "submitted_at": iso(prediction.submitted_at),
        "completed_at": iso(prediction.completed_at) if finished else None,
        "hold": prediction.hold,
        "polls": prediction.progress.polls,
        "scores": {
            c.value: prediction.scores.get(c) if finished else None for c in model.categories
        },
        "predict_error": prediction.error if finished else None,
        "allowed_sample_rate": prediction.allowed_sample_rate,
        "fingerprint": prediction.fingerprint,
        "audio": prediction.audio,
    }


async def get_session(request: Request) -> Response:
    rt, state = control_state(request)
    return JSONResponse(session_view(rt, session_named(state, request.path_params["session_id"])))


def session_named(state: KintsugiState, session_id: str) -> Session:
    """The tenant's session ``session_id``, or the control API's 404 ``not_found``."""
    session = state.sessions.get(session_id)
    if session is None:
        raise ControlError(
            f"no Kintsugi session {session_id} for this API key",
            status_code=404,
            error_code="not_found",
        )
    return session


def summary(rt: Runtime, api_key: str) -> dict[str, int]:
    """``Vendor.summary``: sessions and predictions of one API key."""
    sessions = state_of(rt.store.namespace(api_key)).sessions.values()
    predicted = sum(1 for s in sessions if s.prediction is not None)
    return {
        "users": len({s.user_id for s in sessions}),
        "sessions": len(sessions),
        "predictions": predicted,
    }


routes: list[BaseRoute] = [
    Route("/sessions", list_sessions, methods=["GET"]),
    Route("/sessions/{session_id}", get_session, methods=["GET"]),
]
