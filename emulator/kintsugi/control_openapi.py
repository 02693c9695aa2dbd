"""The emulator's Kintsugi controls (``/_emulator/kintsugi/...``) in the OpenAPI document.

Not Kintsugi's API but the emulator's (docs/kintsugi.md, Forcing outcomes); they sit in
Kintsugi's part because only Kintsugi knows them. Tag and error body are the control
API's (``core.openapi``). The outcome's labels and codes are ``outcomes``' own.
"""

from __future__ import annotations

from typing import Any, Final

from emulator.core.openapi import (
    Schema,
    array,
    boolean,
    control_error,
    control_op,
    control_operation,
    enum,
    integer,
    item_path,
    json_body,
    json_response,
    nullable,
    obj,
    query,
    string,
    tenant_parameters,
)
from emulator.kintsugi.control import MAX_LIMIT
from emulator.kintsugi.errors import AUDIO_CODES
from emulator.kintsugi.outcomes import LABEL_FIELDS

_SOURCE: Final = "emulator (docs/kintsugi.md, Forcing outcomes)"
_OBJECT: Final[Schema] = {"type": "object"}
SESSION_STATUSES: Final = ("initiated", "no_consent", "processing", "success", "failed")
_KEY = tenant_parameters("The tenant (400 missing_api_key without it)")


def sections() -> dict[str, Schema]:
    """Kintsugi's sections of the control API's shared answers (``ApiPart.control``)."""
    user = obj(
        {
            "user_id": string(),
            "predictions": integer(minimum=0),
            "with_feedback": integer(minimum=0),
        }
    )
    return {"access": obj({"kintsugi": boolean()}), "demo": obj({"users": array(user)})}


def _outcome(*, given: bool = False) -> Schema:
    """A forced outcome; as given (``given``), a null field is the same as an absent one."""
    wrap = nullable if given else (lambda schema: schema)
    return obj(
        {
            **{name: wrap(enum(labels)) for name, labels in LABEL_FIELDS.items()},
            "error": wrap(enum(AUDIO_CODES)),
            "hold": wrap(boolean()),
        },
        required=(),
    )


_err = control_error


def _op(op_id: str, summary: str, *entries: tuple[int, Schema], **extra: Any) -> Schema:
    return control_operation(
        op_id, summary, *entries, source_text=_SOURCE, **{"parameters": _KEY, **extra}
    )


def _outcome_paths(plural: str, scope: str) -> dict[str, Any]:
    outcome = _outcome()
    conflicts = (
        (
            _err(404, "`not_found`: no such session"),
            _err(409, "`conflict`: the session already has its prediction"),
        )
        if scope == "session"
        else ()
    )
    return item_path(
        "ident",
        f"The {scope} id",
        put=_op(
            f"control_kintsugi_put_{scope}_outcome",
            f"Force the outcome of a {scope}'s predictions",
            (200, json_response("Stored", obj({"key": string(), "outcome": outcome}))),
            _err(400, "`missing_api_key`, `invalid_outcome`"),
            *conflicts,
            request_body=json_body(_outcome(given=True)),
        ),
        delete=_op(
            f"control_kintsugi_delete_{scope}_outcome",
            f"Clear a {scope}'s forced outcome",
            (200, json_response("Cleared", obj({"key": string(), "deleted": boolean()}))),
            _err(400, "`missing_api_key`"),
        ),
    )


def _kintsugi_session() -> Schema:
    prediction = obj(
        {
            "model": string(),
            "model_category": string(),
            "model_granularity": string(),
            "api_version": integer(),
            "submitted_at": string(),
            "completed_at": nullable(string()),
            "hold": boolean(),
            "polls": integer(minimum=0),
            "scores": {"type": "object", "additionalProperties": nullable(string())},
            "predict_error": nullable(_OBJECT),
            "allowed_sample_rate": nullable(integer()),
            "fingerprint": nullable(string()),
            "audio": nullable(_OBJECT),
        }
    )
    return obj(
        {
            "session_id": string(),
            "user_id": string(),
            "consent": boolean(),
            "metadata": _OBJECT,
            "api_version": integer(),
            "status": enum(SESSION_STATUSES),
            "created_at": string(),
            "updated_at": string(),
            "prediction": nullable(prediction),
            "feedback": _OBJECT,
            "feedback_at": nullable(string()),
        }
    )


def _session_path() -> dict[str, Any]:
    """``GET /_emulator/kintsugi/sessions/{session_id}`` (docs/inspector.md, browsing)."""
    return item_path(
        "session_id",
        "A Kintsugi session of this key",
        get=control_op(
            "control_kintsugi_session",
            "One session: prediction, audio verdict, feedback",
            "emulator (docs/inspector.md, control API for browsing)",
            (200, json_response("The session", _kintsugi_session())),
            _err(400, "`missing_api_key`, `conflicting_api_key`"),
            _err(404, "`not_found`"),
            parameters=_KEY,
        ),
    )


def _listing() -> tuple[Schema, list[dict[str, Any]]]:
    """``GET /_emulator/kintsugi/sessions``: a page of sessions, and its parameters."""
    session = obj(
        {
            "session_id": string(),
            "user_id": string(),
            "status": enum(SESSION_STATUSES),
            "created_time": string("ISO 8601, UTC"),
            "updated_time": string("ISO 8601, UTC"),
        },
        additional=True,
    )
    listing = obj(
        {
            "total": integer(minimum=0),
            "offset": integer(minimum=0),
            "limit": nullable(integer(minimum=1)),
            "sessions": array(session),
        }
    )
    paging: list[dict[str, Any]] = [
        query("limit", integer(minimum=1, maximum=MAX_LIMIT), "A page of N (omit: all)"),
        query("offset", integer(minimum=0), "Skip N first"),
        query("order", enum(("asc", "desc")), "asc: oldest first (default)"),
        query("user_id", string(minLength=1), "Only this user's sessions"),
    ]
    return listing, paging


def paths() -> dict[str, dict[str, Any]]:
    prefix = "/_emulator/kintsugi"
    listing, paging = _listing()
    outcomes = obj({"outcomes": array(obj({"key": string(), "outcome": _outcome()}))})
    any_key = tenant_parameters("Only this tenant (omit: every tenant)")
    return {
        f"{prefix}/sessions": {
            "get": _op(
                "control_kintsugi_sessions",
                "The tenant's Kintsugi sessions with their status",
                (200, json_response("The sessions", listing)),
                _err(400, "`missing_api_key`, or a bad paging parameter"),
                parameters=[*_KEY, *paging],
            )
        },
        f"{prefix}/outcomes": {
            "get": _op(
                "control_kintsugi_outcomes",
                "The forced outcomes of the tenant",
                (200, json_response("The outcomes", outcomes)),
                _err(400, "`missing_api_key`"),
            )
        },
        **{
            f"{prefix}/outcomes/{plural}/{{ident}}": _outcome_paths(plural, scope)
            for plural, scope in (("users", "user"), ("sessions", "session"))
        },
        f"{prefix}/sessions/{{session_id}}": _session_path(),
        f"{prefix}/advance": {
            "post": _op(
                "control_kintsugi_advance",
                "Finish processing v2 predictions now",
                (
                    200,
                    json_response("The finished session ids", obj({"advanced": array(string())})),
                ),
                _err(400, "`invalid_body`: not a JSON object, or session_id is not a string"),
                parameters=any_key,
                request_body=json_body(
                    obj({"session_id": nullable(string())}, required=(), additional=True),
                    required=False,
                ),
            )
        },
    }
