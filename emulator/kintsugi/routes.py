"""Kintsugi Voice HTTP endpoints, v1 and v2.

Each endpoint: authenticate (no X-API-Key -> 400 ``invalid_request``, an unknown one
-> 401 ``invalid_api_key``: the get-started page tells the two apart; a key not
entitled to Kintsugi -> 403 ``unauthorized_account``, seed 002), await the whole
body, then validate and mutate with no await in between, so concurrent requests
never interleave inside one state change.

Audio is screened off the event loop by ``screening``; form bodies (a recording may
be 128 MB, spooled to disk) are read by ``forms``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from emulator.audio.wav import MAX_SAMPLE_RATE
from emulator.core.headers import header
from emulator.core.lifecycle import ProgressionPolicy
from emulator.core.runtime import Runtime, runtime
from emulator.kintsugi import screening
from emulator.kintsugi.errors import (
    AUDIO_ERRORS,
    ConsentNotProvided,
    InvalidApiKey,
    InvalidRequest,
    UnauthorizedAccount,
    UnstandardAudio,
    UnsupportedAudioSpec,
)
from emulator.kintsugi.forms import read_form
from emulator.kintsugi.models import Evidence, KintsugiState, Session, state_of
from emulator.kintsugi.outcomes import Outcome, stray_directives
from emulator.kintsugi.schemas import (
    InitiateRequest,
    parse_feedback,
    parse_initiate_v1,
    parse_initiate_v2,
    parse_json,
    render_record,
    render_v1_result,
)
from emulator.kintsugi.scores import MODELS, Model
from emulator.kintsugi.settings import KintsugiAccess
from emulator.kintsugi.vendor import kintsugi_of

Endpoint = Callable[[Request], Awaitable[Response]]
WARNING_HEADER = "x-emulator-warning"


# -- plumbing ---------------------------------------------------------------------


def _authorised(request: Request, version: int) -> tuple[Runtime, KintsugiState]:
    rt = runtime(request)
    key = header(request.scope, b"x-api-key")
    if not key:
        raise InvalidRequest(version=version)
    tenant = rt.tenants.lookup(key)
    if tenant is None:
        raise InvalidApiKey(version=version)
    if not tenant.access(KintsugiAccess).enabled:
        raise UnauthorizedAccount(version=version)
    return rt, state_of(rt.store.namespace(tenant.api_key))


def policy_of(rt: Runtime) -> ProgressionPolicy:
    # Read at every poll: PUT /_emulator/progression may have changed it since start-up.
    return rt.progression("kintsugi")


def _allowed_sample_rate(raw: str | None, minimum: int) -> int | None:
    """The optional v2 hint. The java-gen javadoc says "Supports 16000 to 44100 (Hz)"
    (§4.2), but the audio specification accepts 8 kHz and up (seed 002), and a hint
    the audio itself may satisfy must not fail the call: any whole rate from the
    guardrail's minimum to the highest rate a WAV may declare is taken."""
    if raw is None:
        return None
    try:
        rate = float(raw)
    except ValueError:
        rate = -1.0
    if not rate.is_integer() or not minimum <= rate <= MAX_SAMPLE_RATE:
        raise UnsupportedAudioSpec(version=2, context={"allowed_sample_rate": "malformed"})
    return int(rate)


def _initiated(session: Session, status: int) -> Response:
    """The initiate answer, with a note naming any stray emulator directive."""
    stray = stray_directives(session.user_id)
    headers = {}
    if stray:
        names = ", ".join(repr(part) for part in stray)
        text = f"user_id part(s) {names} look like emulator directives but are none; kept as text"
        headers[WARNING_HEADER] = " ".join(text.encode("ascii", "replace").decode().split())[:300]
    return JSONResponse({"session_id": session.session_id}, status_code=status, headers=headers)


def session_id_in(doc: dict[str, Any]) -> str | None:
    raw = doc.get("session_id")
    return raw if isinstance(raw, str) else None


# -- initiate ---------------------------------------------------------------------


def _initiate(rt: Runtime, state: KintsugiState, req: InitiateRequest, version: int) -> Session:
    if not req.consent:
        raise ConsentNotProvided(version=version)
    return state.initiate(
        seed=rt.store.seed,
        user_id=req.user_id,
        consent=req.consent,
        metadata=req.metadata,
        api_version=version,
        now=rt.clock.timestamp(),
    )


async def initiate_v1(request: Request) -> Response:
    rt, state = _authorised(request, 1)
    fields, _ = await read_form(request, kintsugi_of(rt).settings.max_body_bytes)
    session = _initiate(rt, state, parse_initiate_v1(fields), 1)
    # seed 002: status 200 in both the response table and the example.
    return _initiated(session, 200)


async def initiate_v2(request: Request) -> Response:
    rt, state = _authorised(request, 2)
    session = _initiate(rt, state, parse_initiate_v2(parse_json(await request.body())), 2)
    # kintsugi-python requires exactly 201 (§6.3).
    return _initiated(session, 201)


# -- predict ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Submission:
    """A predict request, checked: the session it is for and what its audio gave."""

    rt: Runtime
    state: KintsugiState
    session: Session
    outcome: Outcome
    error: dict[str, str] | None
    evidence: Evidence | None
    audio: dict[str, Any] | None
    allowed_sample_rate: int | None


async def _submission(request: Request, version: int) -> _Submission:
    rt, state = _authorised(request, version)
    s = kintsugi_of(rt).settings
    fields, audio = await read_form(request, s.max_body_bytes)
    session_id = fields.get("session_id")
    session = state.open_for_prediction(session_id, version=version, no_consent=s.no_consent_error)
    if audio is None:
        raise UnstandardAudio(version=version)
    rate = None
    if version == 2:
        rate = _allowed_sample_rate(fields.get("allowed_sample_rate"), s.min_sample_rate)
    outcome = state.outcome_for(session)
    # Listening to a recording takes a while (a trained detector, ~0.1-1 s) and needs
    # no state: it runs off the event loop, so other requests are served meanwhile.
    error, evidence, summary = await anyio.to_thread.run_sync(
        screening.screen,
        audio,
        outcome,
        s,
        kintsugi_of(rt).audio,
        limiter=screening.limiter_for(audio, outcome),
    )
    # Checked again, with no await until the prediction is stored: another request may
    # have used the session while this one was being listened to.
    session = state.open_for_prediction(session_id, version=version, no_consent=s.no_consent_error)
    return _Submission(rt, state, session, outcome, error, evidence, summary, rate)


def _store(found: _Submission, model: Model, version: int) -> None:
    found.state.submit(
        found.session,
        seed=found.rt.store.seed,
        model=model,
        outcome=found.outcome,
        evidence=found.evidence,
        error=found.error,
        api_version=version,
        now=found.rt.clock.timestamp(),
        allowed_sample_rate=found.allowed_sample_rate,
        audio=found.audio,
    )


def _predict_v1(model: Model) -> Endpoint:
    async def predict_v1(request: Request) -> Response:
        found = await _submission(request, 1)
        if found.error is not None:
            # A rejected recording does not use the session up: it may be retried.
            raise AUDIO_ERRORS[found.error["error"]](version=1)
        _store(found, model, 1)
        status = kintsugi_of(found.rt).settings.v1_predict_status
        return JSONResponse(render_v1_result(found.session), status_code=status)

    return predict_v1


def _predict_v2(model: Model) -> Endpoint:
    async def predict_v2(request: Request) -> Response:
        found = await _submission(request, 2)
        if found.error is not None and kintsugi_of(found.rt).settings.v2_audio_failure == "reject":
            raise AUDIO_ERRORS[found.error["error"]](version=2)
        _store(found, model, 2)
        # 202 + {session_id, status} (java-gen PredictResponsePredictionInitiated, §4.2).
        body = {"session_id": found.session.session_id, "status": "processing"}
        return JSONResponse(body, status_code=202)

    return predict_v2


# -- v2 results -------------------------------------------------------------------


async def prediction_by_session(request: Request) -> Response:
    rt, state = _authorised(request, 2)
    s = kintsugi_of(rt).settings
    session = state.predicted(
        request.path_params["session_id"], version=2, no_consent=s.no_consent_error
    )
    finished = state.look(session, policy_of(rt), rt.clock.timestamp())
    failed = finished and session.prediction is not None and session.prediction.error is not None
    return JSONResponse(
        render_record(session, finished=finished, with_session_id=False),
        status_code=s.failed_record_status if failed else 200,
    )


async def predictions_by_user(request: Request) -> Response:
    rt, state = _authorised(request, 2)
    policy, now = policy_of(rt), rt.clock.timestamp()
    # Every record returned counts as a look at it; an unknown user has none: [] [INFERRED].
    records = [
        render_record(session, finished=state.look(session, policy, now), with_session_id=True)
        for session in state.by_user(request.path_params["user_id"])
    ]
    return JSONResponse(records)


# -- feedback ---------------------------------------------------------------------


def _feedback(kind: str, *, version: int, form: bool) -> Endpoint:
    # v1 names the score `actual_score` (seed 002 samples); v2 names it `data` (§4.6).
    field = "actual_score" if version == 1 else "data"

    async def feedback(request: Request) -> Response:
        rt, state = _authorised(request, version)
        s = kintsugi_of(rt).settings
        doc: dict[str, Any]
        if form:
            doc = dict((await read_form(request, s.max_body_bytes))[0])
        else:
            body = parse_json(await request.body())
            doc = body if isinstance(body, dict) else {}
        session = state.predicted(
            session_id_in(doc), version=version, no_consent=s.no_consent_error
        )
        value = parse_feedback(kind, doc.get(field), field=field, version=version, text=form)
        state.give_feedback(session, kind, value, rt.clock.timestamp())
        # "Feedback endpoint do not return any data." (seed 002 sample comment)
        return Response(status_code=200)

    return feedback


routes: list[BaseRoute] = [
    Route("/v1/initiate", initiate_v1, methods=["POST"]),
    Route(
        "/v1/predict/server/depression/binary",
        _predict_v1(MODELS["depression_binary"]),
        methods=["POST"],
    ),
    Route(
        "/v1/predict/server/depression/severity",
        _predict_v1(MODELS["depression_severity"]),
        methods=["POST"],
    ),
    Route(
        "/v1/feedback/server/depression/binary",
        _feedback("depression_binary", version=1, form=True),
        methods=["PATCH"],
    ),
    Route(
        "/v1/feedback/server/phq/2", _feedback("phq_2", version=1, form=False), methods=["PATCH"]
    ),
    Route(
        "/v1/feedback/server/phq/9", _feedback("phq_9", version=1, form=False), methods=["PATCH"]
    ),
    Route("/v2/initiate", initiate_v2, methods=["POST"]),
    # The SDKs call /prediction/ with the slash (§4.0); without it is accepted too.
    Route("/v2/prediction/", _predict_v2(MODELS["unified"]), methods=["POST"]),
    Route("/v2/prediction", _predict_v2(MODELS["unified"]), methods=["POST"]),
    Route(
        "/v2/predict/depression/binary", _predict_v2(MODELS["depression_binary"]), methods=["POST"]
    ),
    Route(
        "/v2/predict/depression/severity",
        _predict_v2(MODELS["depression_severity"]),
        methods=["POST"],
    ),
    Route(
        "/v2/predict/anxiety/severity", _predict_v2(MODELS["anxiety_severity"]), methods=["POST"]
    ),
    Route("/v2/predict/sessions/{session_id}", prediction_by_session, methods=["GET"]),
    Route("/v2/predict/users/{user_id}", predictions_by_user, methods=["GET"]),
    Route(
        "/v2/feedback/depression/binary",
        _feedback("depression_binary", version=2, form=False),
        methods=["PATCH"],
    ),
    Route("/v2/feedback/phq/2", _feedback("phq_2", version=2, form=False), methods=["PATCH"]),
    Route("/v2/feedback/phq/9", _feedback("phq_9", version=2, form=False), methods=["PATCH"]),
    Route("/v2/feedback/gad/7", _feedback("gad_7", version=2, form=False), methods=["PATCH"]),
]
