"""The Asleep part of the OpenAPI document: Session API (/ai/v1), Data API (/data/v1..v3).

Generated from the declarations the code runs on: the request models (``bodies``) and
the response models (``documents``) become the components and the query parameters;
this module adds the operations (paths, headers, statuses with the documented error
texts) and the emulator's Asleep controls (``control_openapi``). Sources: seed 001,
seed 000 and asleep-api.md (research notes) §1.3-§3.9; the create/upload/close contract
is the notes' INFERRED one (§3.5). Errors are ``{"detail": "<text>"}``; where no text is
documented the server is FastAPI-like (§1.4) and answers FastAPI's 422 list.
Built when the document is first read (it imports pydantic through the models).
"""

from __future__ import annotations

from typing import Any, Final

from emulator.asleep import control_openapi
from emulator.core.openapi import (
    API_KEY_SECURITY,
    ApiPart,
    Schema,
    body,
    empty_response,
    header,
    json_body,
    json_response,
    model_components,
    nullable,
    obj,
    operation,
    parameters_of,
    path_param,
    query,
    ref,
    responses,
    string,
)

TAG: Final = "Asleep"
_FORMS: Final = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")


def components() -> dict[str, Schema]:
    from emulator.asleep import bodies, documents  # pydantic: only when the document is built

    requests = (
        bodies.AsleepUserCreate,
        bodies.AsleepUserUpdate,
        bodies.AsleepCreateSession,
        bodies.AsleepCloseSession,
        bodies.AsleepUpload,
    )
    answers = (
        documents.AsleepError,
        documents.AsleepValidationError,
        documents.AsleepUser,
        documents.AsleepSessionResult,
        documents.AsleepSessionResultV2,
        documents.AsleepSessionList,
        documents.AsleepAverageStats,
        bodies.AsleepMetadata,
    )
    return {
        **model_components(
            [*((m, "validation") for m in requests), *((m, "serialization") for m in answers)],
            prefix=TAG,
        ),
        **control_openapi.components(),
    }


def _query(model_name: str) -> list[dict[str, Any]]:
    from emulator.asleep import bodies

    return parameters_of(getattr(bodies, model_name).model_json_schema(), "query")


# --------------------------------------------------------------------------- responses

_ERROR = ref("AsleepError")


def _success(result: Schema, detail: str = "success") -> Schema:
    """Session API envelope ``{"detail": "success", "result"}``; Data API: "OK" (§1.3)."""
    return obj({"detail": {"const": detail}, "result": result})


def _error(status: int, text: str) -> tuple[int, Schema]:
    return status, json_response(text, _ERROR)


_UNAUTHORIZED = _error(401, "`Unauthorized` (API key), or `invalid user id` (x-user-id)")
_FORBIDDEN = _error(403, "The plan refuses: `Plan is expired`, `Rate limit exceeded`, ...")
_KEY_ERRORS = (_UNAUTHORIZED, _FORBIDDEN)
_BODY_LIMITS = (
    _error(413, "`HTTP length exceeded 16777216 bytes` (v1.0 error table)"),
    _error(408, "The body did not arrive in time (emulator)"),
)
_FASTAPI_422 = (
    422,
    json_response("FastAPI request-validation list (INFERRED)", ref("AsleepValidationError")),
)
_REASON_HEADER: Final = {
    "x-emulator-reason": {
        "description": "Emulator only: the precise reason a chunk was refused",
        "schema": {"type": "string"},
    }
}

# --------------------------------------------------------------------------- parameters

# The documented id format: anything else is 400 "The format of x-user-id is invalid".
_USER_HEADER = header(
    "x-user-id",
    string(pattern=r"^G-[0-9]{14}-[A-Za-z]{20}$"),
    "The Asleep-issued user id",
    required=True,
)
_TZ_HEADER = header(
    "timezone", string(), "IANA zone the result is rendered in (default UTC), e.g. Asia/Seoul"
)
_SESSION_ID = path_param("session_id", "Sleep session id, e.g. 20250115025029_fvivn")
_USER_ID = path_param("user_id", "Asleep user id, e.g. G-20250115025029-vLErWBfQNtnfvgDccFOQ")


def _op(op_id: str, summary: str, source_text: str, *entries: Any, **extra: Any) -> Schema:
    return operation(
        op_id,
        summary,
        tag=TAG,
        security=API_KEY_SECURITY,
        responses=responses(*entries),
        source_text=source_text,
        **extra,
    )


# --------------------------------------------------------------------------- paths


def _user_paths() -> dict[str, dict[str, Any]]:
    updated = _success(obj({"user_id": string(), "metadata": nullable(ref("AsleepMetadata"))}))
    return {
        "/ai/v1/users": {
            "post": _op(
                "asleep_create_user",
                "Create a user",
                "asleep-api.md §3.1; 422 INFERRED",
                (201, json_response("Created", _success(obj({"user_id": string()})))),
                *_KEY_ERRORS,
                _FASTAPI_422,
                *_BODY_LIMITS,
                request_body=json_body(ref("AsleepUserCreate"), required=False),
            )
        },
        "/ai/v1/users/{user_id}": {
            "parameters": [_USER_ID],
            "get": _op(
                "asleep_get_user",
                "Get a user",
                "asleep-api.md §3.2",
                (200, json_response("The user", _success(ref("AsleepUser")))),
                *_KEY_ERRORS,
                _error(404, "`user does not exist`"),
            ),
            "put": _op(
                "asleep_update_user",
                "Replace a user's metadata",
                "asleep-api.md §3.3 (the example's `sucess`/`gendar` typos are read as "
                "`success`/`gender`); 422 INFERRED",
                (200, json_response("Updated", updated)),
                *_KEY_ERRORS,
                _error(404, "`user not exist`"),
                _FASTAPI_422,
                *_BODY_LIMITS,
                request_body=json_body(ref("AsleepUserUpdate")),
            ),
            "delete": _op(
                "asleep_delete_user",
                "Delete a user and all their data",
                "asleep-api.md §3.4 (wording A)",
                (204, empty_response("Deleted")),
                _error(401, "`Unauthorized` (API key) or `user_id is invalid`"),
                _FORBIDDEN,
                _error(404, "`user does not exist`"),
            ),
        },
    }


_SESSION_SOURCE: Final = "INFERRED path and fields (asleep-api.md §3.5); errors from the v1.0 " + (
    "error table"
)


def _create_path() -> dict[str, dict[str, Any]]:
    fields = ref("AsleepCreateSession")
    return {
        "/ai/v1/sessions": {
            "post": _op(
                "asleep_create_session",
                "Create (open) a sleep session",
                _SESSION_SOURCE,
                (201, json_response("Created", _success(obj({"session_id": string()})))),
                _error(
                    400,
                    "`The format of x-user-id is invalid`, `The invalid timezone is provided`, "
                    "`Invalid callback url`",
                ),
                *_KEY_ERRORS,
                _error(404, "`user does not exist`"),
                _error(409, "`Previous sleep session not yet closed` (policy `conflict`)"),
                _error(
                    422, "`Invalid session start time (YYYY-MM-DDTHH:mm:ssz)`, `Invalid parameter`"
                ),
                *_BODY_LIMITS,
                parameters=[_USER_HEADER, _TZ_HEADER],
                request_body=body(dict.fromkeys(_FORMS, fields), required=False),
            )
        }
    }


def _upload_path() -> dict[str, dict[str, Any]]:
    stored = _success(obj({"session_id": string(), "seq_num": {"type": "integer", "minimum": 0}}))
    bad_chunk = (
        "`The format of x-user-id is invalid`, `Invalid callback url`, the audio validator's "
        "text, `MELSPECTROGRAM file cannot be uploaded. Only AUDIO file can be uploaded.`"
    )
    return {
        "/ai/v1/sessions/{session_id}/upload": {
            "parameters": [_SESSION_ID],
            "post": _op(
                "asleep_upload",
                "Upload one 30-second chunk",
                "INFERRED path, fields and 200 body (asleep-api.md §3.5); "
                "errors from the v1.0 error table",
                (200, json_response("Stored (INFERRED body)", stored)),
                (400, json_response(bad_chunk, _ERROR, headers=_REASON_HEADER)),
                *_KEY_ERRORS,
                _error(403, "`Session already terminated`"),
                _error(404, "`user does not exist`, `Session does not exist`"),
                (422, json_response("`Not valid parameter`", _ERROR, headers=_REASON_HEADER)),
                *_BODY_LIMITS,
                parameters=[
                    _USER_HEADER,
                    query(
                        "seq_num",
                        {"type": "integer", "minimum": 0},
                        "Alternative to the form field",
                    ),
                ],
                request_body=body({"multipart/form-data": ref("AsleepUpload")}),
            ),
        }
    }


def _close_paths() -> dict[str, dict[str, Any]]:
    closed = _success(obj({"session_id": string(), "state": ref("AsleepSessionState")}))
    out: dict[str, dict[str, Any]] = {}
    for verb in ("close", "end"):
        out[f"/ai/v1/sessions/{{session_id}}/{verb}"] = {
            "parameters": [_SESSION_ID],
            "post": _op(
                f"asleep_{verb}_session",
                "End (close) a sleep session" + (" (alias of /close)" if verb == "end" else ""),
                _SESSION_SOURCE,
                (200, json_response("Closed (INFERRED body)", closed)),
                _error(
                    400,
                    "`The format of x-user-id is invalid`, `[WARNING] Invalid session end "
                    "time. (YYYY-MM-DDTHH:mm:ssz)`, `Invalid callback url`, `Invalid parameter`",
                ),
                *_KEY_ERRORS,
                _error(403, "`Sleep session has already ended`"),
                _error(404, "`user does not exist`, `Session does not exist`"),
                *_BODY_LIMITS,
                parameters=[_USER_HEADER, *_close_query()],
                request_body=body(dict.fromkeys(_FORMS, ref("AsleepCloseSession")), required=False),
            ),
        }
    return out


def _close_query() -> list[dict[str, Any]]:
    from emulator.asleep import bodies  # the close fields are read from the query too

    params = parameters_of(bodies.AsleepCloseSession.model_json_schema(), "query")
    for param in params:
        param["schema"].pop("default", None)
    return params


def _delete_session_path() -> dict[str, dict[str, Any]]:
    return {
        "/ai/v1/sessions/{session_id}": {
            "parameters": [_SESSION_ID],
            "delete": _op(
                "asleep_delete_session",
                "Delete one session's data",
                "asleep-api.md §3.6",
                (204, empty_response("Deleted")),
                _error(401, "`Unauthorized` (API key) or `invalid user id`"),
                _FORBIDDEN,
                _error(404, "`user not exist`, `session does not exist`"),
                parameters=[_USER_HEADER],
            ),
        }
    }


def _get_session_paths() -> dict[str, dict[str, Any]]:
    errors = (
        _error(
            400,
            "`The format of x-user-id is invalid`, `The format of sleep session id {id} is not "
            "valid`, `The invalid timezone is provided`",
        ),
        *_KEY_ERRORS,
        _error(
            404,
            "`Unable to find the user of id {id}`, `Unable to find the sleep session of id {id}`",
        ),
    )
    shapes = {
        3: ("Get a single session (v3)", "AsleepSessionResult", "seed 001"),
        2: (
            "Get a single session (legacy v2 shape)",
            "AsleepSessionResultV2",
            "asleep-api.md §3.7.2 (v1.0 docs); errors as v3 (INFERRED)",
        ),
    }
    return {
        f"/data/v{version}/sessions/{{session_id}}": {
            "parameters": [_SESSION_ID],
            "get": _op(
                f"asleep_get_session_v{version}",
                summary,
                source_text,
                (200, json_response("The session", _success(ref(result), "OK"))),
                *errors,
                parameters=[_USER_HEADER, _TZ_HEADER],
            ),
        }
        for version, (summary, result, source_text) in shapes.items()
    }


def _data_paths() -> dict[str, dict[str, Any]]:
    return {
        "/data/v1/sessions": {
            "get": _op(
                "asleep_list_sessions",
                "List a user's sessions",
                "asleep-api.md §3.8; 422 INFERRED",
                (200, json_response("The sessions", _success(ref("AsleepSessionList"), "OK"))),
                _error(
                    400, "`The format of x-user-id is invalid`, `The invalid timezone is provided`"
                ),
                *_KEY_ERRORS,
                _error(404, "`Unable to find the user of id {id}`"),
                _FASTAPI_422,
                parameters=[_USER_HEADER, _TZ_HEADER, *_query("AsleepListQuery")],
            ),
        },
        "/data/v1/users/{user_id}/average-stats": {
            "parameters": [_USER_ID],
            "get": _op(
                "asleep_average_stats",
                "Average statistics over a period",
                "asleep-api.md §3.9; error texts [2ND] and INFERRED",
                (200, json_response("The averages", _success(ref("AsleepAverageStats"), "OK"))),
                _error(
                    400,
                    "`The invalid timezone is provided`, `The period should be less than or "
                    "equal to 100 days`, `The start_date should be less than or equal to the "
                    "end_date` (INFERRED)",
                ),
                *_KEY_ERRORS,
                _error(404, "`Unable to find the user of id {id}`"),
                _FASTAPI_422,
                parameters=[_TZ_HEADER, *_query("AsleepPeriodQuery")],
            ),
        },
    }


def paths() -> dict[str, dict[str, Any]]:
    return {
        **_user_paths(),
        **_create_path(),
        **_upload_path(),
        **_close_paths(),
        **_delete_session_path(),
        **_get_session_paths(),
        **_data_paths(),
        **control_openapi.paths(),
    }


def part() -> ApiPart:
    """This API's part of the OpenAPI document."""
    description = "Asleep Session API (/ai/v1) and Data API"
    return ApiPart(TAG, description, paths, components, "asleep", control_openapi.sections)
