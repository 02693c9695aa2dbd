"""The Kintsugi controls that steer a test (mounted under /_emulator/kintsugi) and the
scenario list: force outcomes per user or session (`emulator.kintsugi.outcomes`), and
finish `processing` v2 predictions now (also through the generic
``POST /_emulator/advance``). Browsing sessions is `emulator.kintsugi.control`.
"""

from __future__ import annotations

from typing import Any, Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from emulator.core.control_tenant import named_tenant
from emulator.core.errors import ControlError
from emulator.core.runtime import Advancer, Runtime, runtime
from emulator.kintsugi import control
from emulator.kintsugi.control import control_state
from emulator.kintsugi.models import KintsugiState, state_of
from emulator.kintsugi.outcomes import Outcome
from emulator.kintsugi.routes import Endpoint, policy_of, session_id_in
from emulator.kintsugi.schemas import parse_json

# -- emulator controls (mounted under /_emulator/kintsugi) -------------------------


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
    session = control.session_named(state, session_id)
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
    policy, now = policy_of(rt), rt.clock.timestamp()
    done: list[str] = []
    for tenant in [api_key] if api_key else rt.store.tenants():
        done.extend(state_of(rt.store.namespace(tenant)).advance(session_id, policy, now))
    return done


async def advance(request: Request) -> Response:
    """POST /_emulator/kintsugi/advance: the tenant's (X-API-Key) or everyone's, with an
    optional JSON ``{"session_id"}``; answers with the ids it finished."""
    raw = await request.body()
    body = parse_json(raw) if raw.strip() else {}
    if not isinstance(body, dict):
        raise ControlError(
            'the body is optional, or {"session_id": "..."}', error_code="invalid_body"
        )
    session_id = session_id_in(body)
    if body.get("session_id") is not None and session_id is None:
        raise ControlError("session_id must be a string", error_code="invalid_body")
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


# (name, description, example) of each scenario: user_id directives, then controls.
_MAGIC: Final = (
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
)
_CONTROLS: Final = (
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
        "page with limit, offset, order=desc, user_id; each prediction with the evidence "
        "its labels were read from. One session shows its prediction, what the audio "
        "checks measured and the feedback.",
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
)


def scenarios() -> list[dict[str, Any]]:
    """Everything a test can choose about Kintsugi, for ``GET /_emulator/scenarios``."""
    return [
        {"name": n, "kind": "magic-input", "description": d, "example": e} for n, d, e in _MAGIC
    ] + [{"name": n, "kind": "control", "description": d, "example": e} for n, d, e in _CONTROLS]
