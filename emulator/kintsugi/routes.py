"""Kintsugi Voice HTTP endpoints (v1 and v2) and the emulator's Kintsugi controls.

Each endpoint: authenticate (X-API-Key -> 401 ``invalid_api_key``; a key not
entitled to Kintsugi -> 403 ``unauthorized_account``, seed 002), await the whole
body, then validate and mutate with no await in between, so concurrent requests
never interleave inside one state change.

Audio is screened here (the HTTP edge) with ``emulator.audio.check_kintsugi``, using
the thresholds in ``settings.kintsugi`` so demos can accept short clips.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from emulator.audio import Verdict, audio_fingerprint, check_kintsugi
from emulator.core.control_tenant import named_tenant
from emulator.core.errors import ControlError
from emulator.core.headers import header
from emulator.core.lifecycle import ProgressionPolicy
from emulator.core.runtime import Advancer, Runtime, runtime
from emulator.kintsugi import control
from emulator.kintsugi.control import control_state
from emulator.kintsugi.errors import (
    AUDIO_ERRORS,
    InvalidApiKey,
    UnauthorizedAccount,
    UnstandardAudio,
    UnsupportedAudioSpec,
)
from emulator.kintsugi.models import KintsugiState, state_of
from emulator.kintsugi.outcomes import AUDIO_MESSAGES, Outcome
from emulator.kintsugi.schemas import (
    parse_feedback,
    parse_initiate_v1,
    parse_initiate_v2,
    parse_json,
    render_record,
    render_v1_result,
)
from emulator.kintsugi.scores import MODELS, Model
from emulator.kintsugi.settings import KintsugiAccess, KintsugiSettings
from emulator.kintsugi.vendor import kintsugi_of

Endpoint = Callable[[Request], Awaitable[Response]]
# java-gen javadoc for allowed_sample_rate: "Supports 16000 to 44100 (Hz)" (§4.2).
ALLOWED_SAMPLE_RATES = range(16000, 44101)


# -- plumbing ---------------------------------------------------------------------


def _authorised(request: Request, version: int) -> tuple[Runtime, KintsugiState]:
    rt = runtime(request)
    tenant = rt.tenants.lookup(header(request.scope, b"x-api-key"))
    if tenant is None:
        raise InvalidApiKey(version=version)
    if not tenant.access(KintsugiAccess).enabled:
        raise UnauthorizedAccount(version=version)
    return rt, state_of(rt.store.namespace(tenant.api_key))


def _policy(rt: Runtime) -> ProgressionPolicy:
    # Read at every poll: PUT /_emulator/progression may have changed it since start-up.
    return rt.progression("kintsugi")


async def _read_form(request: Request, cap: int) -> tuple[dict[str, str], bytes | None]:
    """Text fields and the `file` part's bytes. A body that is not a form (or not
    parseable) reads as an empty one, so the errors name what is missing."""
    try:
        async with request.form(max_files=8, max_fields=64, max_part_size=cap) as form:
            fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
            upload = form.get("file")
            audio = await upload.read() if isinstance(upload, UploadFile) else None
    except HTTPException:  # Starlette's 400 for a malformed multipart body
        return {}, None
    return fields, audio


def _screen(
    audio: bytes, outcome: Outcome, s: KintsugiSettings
) -> tuple[dict[str, str] | None, str | None, dict[str, Any] | None]:
    """(predict_error, fingerprint, audio summary): the guardrail failure, or the
    recording's identity; and what was measured (None for a forced error)."""
    if outcome.error is not None:
        return {"error": outcome.error, "message": AUDIO_MESSAGES[outcome.error]}, None, None
    verdict = check_kintsugi(
        audio,
        min_sample_rate=s.min_sample_rate,
        max_channels=s.max_channels,
        min_voice_seconds=s.min_voice_seconds,
    )
    summary = audio_summary(verdict)
    if not verdict.ok:
        code = verdict.code or "unstandard_audio"
        return {"error": code, "message": verdict.message or AUDIO_MESSAGES[code]}, None, summary
    return None, audio_fingerprint(audio), summary


def audio_summary(verdict: Verdict) -> dict[str, Any]:
    """What the guardrails saw, kept with the prediction for the inspector. An accepted
    recording's voice is a lower bound: measuring stops once the threshold is met."""
    info = verdict.info
    voice = verdict.voice_seconds
    duration = info.duration_seconds
    return {
        "container": str(info.container),
        "sample_rate": info.sample_rate,
        "channels": info.channels,
        "duration_seconds": None if duration is None else round(duration, 3),
        "voice_seconds": None if voice is None else round(voice, 2),
        "voice_seconds_at_least": verdict.ok,
        "size_bytes": info.size_bytes,
        "accepted": verdict.ok,
        "reason": verdict.reason,
    }


def _allowed_sample_rate(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        rate = float(raw)
    except ValueError:
        rate = -1.0
    if not rate.is_integer() or int(rate) not in ALLOWED_SAMPLE_RATES:
        raise UnsupportedAudioSpec(version=2, context={"allowed_sample_rate": "malformed"})
    return int(rate)


def _session_id(doc: dict[str, Any]) -> str | None:
    raw = doc.get("session_id")
    return raw if isinstance(raw, str) else None


# -- initiate ---------------------------------------------------------------------


async def initiate_v1(request: Request) -> Response:
    rt, state = _authorised(request, 1)
    fields, _ = await _read_form(request, kintsugi_of(rt).settings.max_body_bytes)
    req = parse_initiate_v1(fields)
    session = state.initiate(
        seed=rt.store.seed,
        user_id=req.user_id,
        consent=req.consent,
        metadata=req.metadata,
        api_version=1,
        now=rt.clock.timestamp(),
    )
    # seed 002: status 200 in both the response table and the example.
    return JSONResponse({"session_id": session.session_id}, status_code=200)


async def initiate_v2(request: Request) -> Response:
    rt, state = _authorised(request, 2)
    req = parse_initiate_v2(parse_json(await request.body()))
    session = state.initiate(
        seed=rt.store.seed,
        user_id=req.user_id,
        consent=req.consent,
        metadata=req.metadata,
        api_version=2,
        now=rt.clock.timestamp(),
    )
    # kintsugi-python requires exactly 201 (§6.3).
    return JSONResponse({"session_id": session.session_id}, status_code=201)


# -- predict ----------------------------------------------------------------------


def _predict_v1(model: Model) -> Endpoint:
    async def predict_v1(request: Request) -> Response:
        rt, state = _authorised(request, 1)
        s = kintsugi_of(rt).settings
        fields, audio = await _read_form(request, s.max_body_bytes)
        session = state.open_for_prediction(
            fields.get("session_id"), version=1, no_consent=s.no_consent_error
        )
        if audio is None:
            raise UnstandardAudio(version=1)
        outcome = state.outcome_for(session)
        error, fingerprint, summary = _screen(audio, outcome, s)
        if error is not None:
            # A rejected recording does not use the session up: it may be retried.
            raise AUDIO_ERRORS[error["error"]](version=1)
        state.submit(
            session,
            seed=rt.store.seed,
            model=model,
            outcome=outcome,
            fingerprint=fingerprint,
            error=None,
            api_version=1,
            now=rt.clock.timestamp(),
            audio=summary,
        )
        return JSONResponse(render_v1_result(session), status_code=s.v1_predict_status)

    return predict_v1


def _predict_v2(model: Model) -> Endpoint:
    async def predict_v2(request: Request) -> Response:
        rt, state = _authorised(request, 2)
        s = kintsugi_of(rt).settings
        fields, audio = await _read_form(request, s.max_body_bytes)
        session = state.open_for_prediction(
            fields.get("session_id"), version=2, no_consent=s.no_consent_error
        )
        if audio is None:
            raise UnstandardAudio(version=2)
        rate = _allowed_sample_rate(fields.get("allowed_sample_rate"))
        outcome = state.outcome_for(session)
        error, fingerprint, summary = _screen(audio, outcome, s)
        if error is not None and s.v2_audio_failure == "reject":
            raise AUDIO_ERRORS[error["error"]](version=2)
        state.submit(
            session,
            seed=rt.store.seed,
            model=model,
            outcome=outcome,
            fingerprint=fingerprint,
            error=error,
            api_version=2,
            now=rt.clock.timestamp(),
            allowed_sample_rate=rate,
            audio=summary,
        )
        # 202 + {session_id, status} (java-gen PredictResponsePredictionInitiated, §4.2).
        return JSONResponse(
            {"session_id": session.session_id, "status": "processing"}, status_code=202
        )

    return predict_v2


# -- v2 results -------------------------------------------------------------------


async def prediction_by_session(request: Request) -> Response:
    rt, state = _authorised(request, 2)
    s = kintsugi_of(rt).settings
    session = state.predicted(
        request.path_params["session_id"], version=2, no_consent=s.no_consent_error
    )
    finished = state.look(session, _policy(rt), rt.clock.timestamp())
    failed = finished and session.prediction is not None and session.prediction.error is not None
    return JSONResponse(
        render_record(session, finished=finished, with_session_id=False),
        status_code=s.failed_record_status if failed else 200,
    )


async def predictions_by_user(request: Request) -> Response:
    rt, state = _authorised(request, 2)
    policy, now = _policy(rt), rt.clock.timestamp()
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
            doc = dict((await _read_form(request, s.max_body_bytes))[0])
        else:
            body = parse_json(await request.body())
            doc = body if isinstance(body, dict) else {}
        session = state.predicted(_session_id(doc), version=version, no_consent=s.no_consent_error)
        value = parse_feedback(kind, doc.get(field), field=field, version=version)
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


# -- emulator controls (mounted under /_emulator/kintsugi) -------------------------
# The tenant is the X-API-Key header (``?api_key=`` is an alias: core.control_tenant).


async def list_outcomes(request: Request) -> Response:
    _, state = control_state(request)
    rows = zip(state.outcomes.keys(), state.outcomes.values(), strict=True)
    return JSONResponse({"outcomes": [{"key": k, "outcome": o.to_json()} for k, o in rows]})


def _outcome_endpoints(scope: str) -> tuple[Endpoint, Endpoint]:
    """PUT and DELETE of the outcome stored for one user_id or one session."""

    def key_of(request: Request) -> str:
        return f"{scope}:{request.path_params['ident']}"

    async def put_outcome(request: Request) -> Response:
        _, state = control_state(request)
        body = parse_json(await request.body())
        try:
            outcome = Outcome.from_json(body)
        except (TypeError, ValueError) as exc:
            raise ControlError(str(exc), error_code="invalid_outcome") from None
        if scope == "session":
            _check_session_open(state, request.path_params["ident"])
        state.set_outcome(key_of(request), outcome)
        return JSONResponse({"key": key_of(request), "outcome": outcome.to_json()})

    async def delete_outcome(request: Request) -> Response:
        _, state = control_state(request)
        existed = key_of(request) in state.outcomes
        state.outcomes.delete(key_of(request))
        return JSONResponse({"key": key_of(request), "deleted": existed})

    return put_outcome, delete_outcome


def _check_session_open(state: KintsugiState, session_id: str) -> None:
    session = state.sessions.get(session_id)
    if session is None:
        raise ControlError(
            f"no Kintsugi session {session_id} for this API key",
            status_code=404,
            error_code="not_found",
        )
    if session.prediction is not None:
        raise ControlError(
            f"session {session_id} already has its prediction; outcomes apply when one is "
            "submitted",
            status_code=409,
            error_code="conflict",
        )


def advancer(rt: Runtime) -> Advancer:
    """Finish `processing` predictions now, for ``rt.advancers["kintsugi"]`` (the generic
    POST /_emulator/advance): one API key's or everyone's, one session's or all."""

    def advance(api_key: str | None, session_id: str | None) -> int:
        return len(_advance(rt, api_key, session_id))

    return advance


def _advance(rt: Runtime, api_key: str | None, session_id: str | None) -> list[str]:
    policy, now = _policy(rt), rt.clock.timestamp()
    done: list[str] = []
    for tenant in [api_key] if api_key else rt.store.tenants():
        done.extend(state_of(rt.store.namespace(tenant)).advance(session_id, policy, now))
    return done


async def advance(request: Request) -> Response:
    """POST /_emulator/kintsugi/advance: the tenant's (X-API-Key) or everyone's, with an
    optional JSON ``{"session_id"}``; answers with the ids it finished."""
    body = parse_json(await request.body())
    session_id = _session_id(body) if isinstance(body, dict) else None
    done = _advance(runtime(request), named_tenant(request), session_id)
    return JSONResponse({"advanced": done})


control_routes: list[BaseRoute] = [
    *control.routes,
    Route("/outcomes", list_outcomes, methods=["GET"]),
    *(
        Route(f"/outcomes/{plural}/{{ident}}", endpoint, methods=[method])
        for plural, scope in (("users", "user"), ("sessions", "session"))
        for method, endpoint in zip(("PUT", "DELETE"), _outcome_endpoints(scope), strict=True)
    ),
    Route("/advance", advance, methods=["POST"]),
]


def scenarios() -> list[dict[str, Any]]:
    magic = [
        (
            "kintsugi-force-label",
            "user_id directive emu-result:<label>: every prediction of this user's sessions "
            "gets that label in the model it belongs to (depression severity "
            "no_to_mild|mild_to_moderate|moderate_to_severe; depression binary "
            "false|true|additional_consideration_required; anxiety "
            "no_or_minimal|mild|moderate|severe). Combine with '+'.",
            "user_id=patient-1+emu-result:moderate_to_severe+emu-result:severe",
        ),
        (
            "kintsugi-force-audio-error",
            "user_id directive emu-error:<code>: the audio check fails with that code "
            "(unstandard_audio|unsupported_audio_spec|insufficient_audio_length): v1 422, "
            "v2 a failed record or a 422 (setting kintsugi.v2_audio_failure).",
            "user_id=emu-error:insufficient_audio_length",
        ),
        (
            "kintsugi-hold-processing",
            "user_id directive emu-hold: v2 predictions stay `processing` until "
            "POST /_emulator/kintsugi/advance.",
            "user_id=emu-hold",
        ),
    ]
    control = [
        (
            "kintsugi-outcome-by-user",
            "PUT a forced outcome for every later prediction of a user_id (X-API-Key names "
            "the tenant). Fields: depression_severity, depression_binary, anxiety_severity, "
            "error, hold. DELETE to clear; GET /_emulator/kintsugi/outcomes lists them.",
            'PUT /_emulator/kintsugi/outcomes/users/patient-1 {"depression_severity": '
            '"mild_to_moderate"}',
        ),
        (
            "kintsugi-outcome-by-session",
            "PUT a forced outcome for one initiated session, before its prediction is "
            "submitted; overrides the user's outcome field by field.",
            'PUT /_emulator/kintsugi/outcomes/sessions/<session_id> {"error": "unstandard_audio"}',
        ),
        (
            "kintsugi-advance",
            "Finish processing v2 predictions now (manual progression, emu-hold): the "
            "tenant's (X-API-Key) or everyone's; optional JSON {\"session_id\"}.",
            "POST /_emulator/kintsugi/advance",
        ),
        (
            "kintsugi-sessions",
            "Inspect the tenant's sessions: consent, metadata, prediction, feedback, status; "
            "page with limit, offset, order=desc, user_id. One session shows its prediction, "
            "what the audio checks measured and the feedback.",
            "GET /_emulator/kintsugi/sessions\n"
            "GET /_emulator/kintsugi/sessions?limit=20&offset=0&order=desc\n"
            "GET /_emulator/kintsugi/sessions/<session_id>",
        ),
        (
            "kintsugi-outcomes",
            "List the tenant's forced outcomes, or clear one (a user's or a session's).",
            "GET /_emulator/kintsugi/outcomes\n"
            "DELETE /_emulator/kintsugi/outcomes/users/patient-1\n"
            "DELETE /_emulator/kintsugi/outcomes/sessions/<session_id>",
        ),
    ]
    return [
        {"name": n, "kind": "magic-input", "description": d, "example": e} for n, d, e in magic
    ] + [{"name": n, "kind": "control", "description": d, "example": e} for n, d, e in control]
