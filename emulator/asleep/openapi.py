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

from emulator.asleep import control_openapi, data_openapi
from emulator.asleep.openapi_shared import (
    BODY_LIMITS,
    ERROR,
    FASTAPI_422,
    FORBIDDEN,
    KEY_ERRORS,
    REASON_HEADER,
    SESSION_ID,
    TAG,
    TZ_HEADER,
    USER_HEADER,
    USER_ID,
    error,
    op,
    success,
)
from emulator.core.openapi import (
    ApiPart,
    Paths,
    Schema,
    body,
    empty_response,
    json_body,
    json_response,
    merge_paths,
    nullable,
    obj,
    query,
    ref,
    string,
)
from emulator.core.openapi_models import model_components, parameters_of

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


# --------------------------------------------------------------------------- paths


def _user_paths() -> dict[str, dict[str, Any]]:
    updated = success(obj({"user_id": string(), "metadata": nullable(ref("AsleepMetadata"))}))
    return {
        "/ai/v1/users": {
            "post": op(
                "asleep_create_user",
                "Create a user",
                "asleep-api.md §3.1; 422 INFERRED",
                (201, json_response("Created", success(obj({"user_id": string()})))),
                *KEY_ERRORS,
                FASTAPI_422,
                *BODY_LIMITS,
                request_body=json_body(ref("AsleepUserCreate"), required=False),
            )
        },
        "/ai/v1/users/{user_id}": {
            "parameters": [USER_ID],
            "get": op(
                "asleep_get_user",
                "Get a user",
                "asleep-api.md §3.2",
                (200, json_response("The user", success(ref("AsleepUser")))),
                *KEY_ERRORS,
                error(404, "`user does not exist`"),
            ),
            "put": op(
                "asleep_update_user",
                "Replace a user's metadata",
                "asleep-api.md §3.3 (the example's `sucess`/`gendar` typos are read as "
                "`success`/`gender`); 422 INFERRED",
                (200, json_response("Updated", updated)),
                *KEY_ERRORS,
                error(404, "`user not exist`"),
                FASTAPI_422,
                *BODY_LIMITS,
                request_body=json_body(ref("AsleepUserUpdate")),
            ),
            "delete": op(
                "asleep_delete_user",
                "Delete a user and all their data",
                "asleep-api.md §3.4 (wording A)",
                (204, empty_response("Deleted")),
                error(401, "`Unauthorized` (API key) or `user_id is invalid`"),
                FORBIDDEN,
                error(404, "`user does not exist`"),
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
            "post": op(
                "asleep_create_session",
                "Create (open) a sleep session",
                _SESSION_SOURCE,
                (201, json_response("Created", success(obj({"session_id": string()})))),
                error(
                    400,
                    "`The format of x-user-id is invalid`, `The invalid timezone is provided`, "
                    "`Invalid callback url`",
                ),
                *KEY_ERRORS,
                error(404, "`user does not exist`"),
                error(409, "`Previous sleep session not yet closed` (policy `conflict`)"),
                error(
                    422, "`Invalid session start time (YYYY-MM-DDTHH:mm:ssz)`, `Invalid parameter`"
                ),
                *BODY_LIMITS,
                parameters=[USER_HEADER, TZ_HEADER],
                request_body=body(dict.fromkeys(_FORMS, fields), required=False),
            )
        }
    }


def _upload_path() -> dict[str, dict[str, Any]]:
    stored = success(obj({"session_id": string(), "seq_num": {"type": "integer", "minimum": 0}}))
    bad_chunk = (
        "`The format of x-user-id is invalid`, `Invalid callback url`, the audio validator's "
        "text, `MELSPECTROGRAM file cannot be uploaded. Only AUDIO file can be uploaded.`"
    )
    return {
        "/ai/v1/sessions/{session_id}/upload": {
            "parameters": [SESSION_ID],
            "post": op(
                "asleep_upload",
                "Upload one 30-second chunk",
                "INFERRED path, fields and 200 body (asleep-api.md §3.5); "
                "errors from the v1.0 error table",
                (200, json_response("Stored (INFERRED body)", stored)),
                (400, json_response(bad_chunk, ERROR, headers=REASON_HEADER)),
                *KEY_ERRORS,
                error(403, "`Session already terminated`"),
                error(404, "`user does not exist`, `Session does not exist`"),
                (422, json_response("`Not valid parameter`", ERROR, headers=REASON_HEADER)),
                *BODY_LIMITS,
                parameters=[
                    USER_HEADER,
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
    closed = success(obj({"session_id": string(), "state": ref("AsleepSessionState")}))
    out: dict[str, dict[str, Any]] = {}
    for verb in ("close", "end"):
        out[f"/ai/v1/sessions/{{session_id}}/{verb}"] = {
            "parameters": [SESSION_ID],
            "post": op(
                f"asleep_{verb}_session",
                "End (close) a sleep session" + (" (alias of /close)" if verb == "end" else ""),
                _SESSION_SOURCE,
                (200, json_response("Closed (INFERRED body)", closed)),
                error(
                    400,
                    "`The format of x-user-id is invalid`, `[WARNING] Invalid session end "
                    "time. (YYYY-MM-DDTHH:mm:ssz)`, `Invalid callback url`, `Invalid parameter`",
                ),
                *KEY_ERRORS,
                error(403, "`Sleep session has already ended`"),
                error(404, "`user does not exist`, `Session does not exist`"),
                *BODY_LIMITS,
                parameters=[USER_HEADER, *_close_query()],
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
            "parameters": [SESSION_ID],
            "delete": op(
                "asleep_delete_session",
                "Delete one session's data",
                "asleep-api.md §3.6",
                (204, empty_response("Deleted")),
                error(401, "`Unauthorized` (API key) or `invalid user id`"),
                FORBIDDEN,
                error(404, "`user not exist`, `session does not exist`"),
                parameters=[USER_HEADER],
            ),
        }
    }


def paths() -> Paths:
    """Every Asleep path, the emulator's Asleep control paths last."""
    return merge_paths(
        _user_paths,
        _create_path,
        _upload_path,
        _close_paths,
        _delete_session_path,
        data_openapi.paths,
        control_openapi.paths,
    )


def part() -> ApiPart:
    """This API's part of the OpenAPI document."""
    description = "Asleep Session API (/ai/v1) and Data API"
    return ApiPart(TAG, description, paths, components, "asleep", control_openapi.sections)
