"""The emulator's Kintsugi controls (``/_emulator/kintsugi/...``) in the OpenAPI document.

Not Kintsugi's API but the emulator's (docs/kintsugi.md, Forcing outcomes); they sit in
Kintsugi's part because only Kintsugi knows them. Tag and error body are the control
API's (``core.openapi``). The outcome's labels and codes are ``outcomes``' own.
"""

from __future__ import annotations

from typing import Any, Final

from emulator.core.openapi import (
    CONTROL_ERROR,
    Schema,
    array,
    boolean,
    control_operation,
    enum,
    integer,
    json_body,
    json_response,
    obj,
    path_param,
    ref,
    string,
    tenant_parameters,
)
from emulator.kintsugi.outcomes import AUDIO_CODES, LABEL_FIELDS

_SOURCE: Final = "emulator (docs/kintsugi.md, Forcing outcomes)"
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


def _outcome() -> Schema:
    return obj(
        {
            **{name: enum(labels) for name, labels in LABEL_FIELDS.items()},
            "error": enum(AUDIO_CODES),
            "hold": boolean(),
        },
        required=(),
    )


def _err(status: int, text: str) -> tuple[int, Schema]:
    return status, json_response(text, ref(CONTROL_ERROR))


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
    return {
        "parameters": [path_param("ident", f"The {scope} id")],
        "put": _op(
            f"control_kintsugi_put_{scope}_outcome",
            f"Force the outcome of a {scope}'s predictions",
            (200, json_response("Stored", obj({"key": string(), "outcome": outcome}))),
            _err(400, "`missing_api_key`, `invalid_outcome`"),
            *conflicts,
            request_body=json_body(outcome),
        ),
        "delete": _op(
            f"control_kintsugi_delete_{scope}_outcome",
            f"Clear a {scope}'s forced outcome",
            (200, json_response("Cleared", obj({"key": string(), "deleted": boolean()}))),
            _err(400, "`missing_api_key`"),
        ),
    }


def paths() -> dict[str, dict[str, Any]]:
    prefix = "/_emulator/kintsugi"
    session = obj(
        {"session_id": string(), "user_id": string(), "status": enum(SESSION_STATUSES)},
        additional=True,
    )
    outcomes = obj({"outcomes": array(obj({"key": string(), "outcome": _outcome()}))})
    any_key = tenant_parameters("Only this tenant (omit: every tenant)")
    return {
        f"{prefix}/sessions": {
            "get": _op(
                "control_kintsugi_sessions",
                "The tenant's Kintsugi sessions with their status",
                (200, json_response("The sessions", obj({"sessions": array(session)}))),
                _err(400, "`missing_api_key`"),
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
        f"{prefix}/advance": {
            "post": _op(
                "control_kintsugi_advance",
                "Finish processing v2 predictions now",
                (
                    200,
                    json_response("The finished session ids", obj({"advanced": array(string())})),
                ),
                parameters=any_key,
                request_body=json_body(obj({"session_id": string()}, required=()), required=False),
            )
        },
    }
