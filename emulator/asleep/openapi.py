"""The Asleep part of the OpenAPI document: Session API (/ai/v1) and Data API (/data/v1..v3).

Written from Asleep's documented shapes, not from the emulator's code:

* seed 001 (Get Single Session v3: headers, the session and stat objects with their
  types and nullability, the 400/404 texts);
* seed 000 (v1.0 Sleep Data object: the legacy ``/data/v2`` stat);
* asleep-api.md (research notes) §1.3 envelope, §1.4 common errors, §3.1-§3.9 each
  endpoint, §3.5 the INFERRED create/upload/close contract.

Where Asleep documents no shape the emulator's choice is marked ``INFERRED`` in
``x-emulator-source``. Errors are ``{"detail": "<text>"}``; where no text is documented
the server looks FastAPI-like (§1.4), so request validation is FastAPI's 422 list.
"""

from __future__ import annotations

from typing import Any, Final

from emulator.core.openapi import (
    API_KEY_SECURITY,
    ApiPart,
    Schema,
    array,
    binary_file,
    body,
    boolean,
    empty_response,
    enum,
    header,
    integer,
    json_body,
    json_response,
    nullable,
    number,
    obj,
    offset_time,
    operation,
    path_param,
    query,
    ref,
    responses,
    source,
    string,
)

TAG: Final = "Asleep"
STATES: Final = ("OPEN", "CLOSED", "COMPLETE")
PECULIARITIES: Final = (
    "IN_PROGRESS",
    "NEVER_SLEPT",
    "TOO_SHORT_FOR_ANALYSIS",
    "TOO_LONG_FOR_ANALYSIS",
    "TOO_MANY_DEFECTS_IN_SLEEP_STAGES",
    "NO_BREATHING_STABILITY",
    "NO_REALTIME_POLLING",
)
BREATHING_PATTERNS: Final = (
    "STABLE_BREATH",
    "MILDLY_UNSTABLE_BREATH",
    "MODERATELY_UNSTABLE_BREATH",
    "SEVERELY_UNSTABLE_BREATH",
)
LEGACY_BREATHING_PATTERNS: Final = ("VERY_STABLE", "STABLE", "UNSTABLE", "VERY_UNSTABLE")
GENDERS: Final = ("male", "female", "non_binary", "other", "prefer_not_to_say")

# --------------------------------------------------------------------------- small pieces

_SECONDS = integer("seconds", minimum=0)
_RATIO = number("0..1", minimum=0, maximum=1)
_CLOCK = string("hh:mm:ss in the request timezone", pattern=r"^\d{2}:\d{2}:\d{2}$")
_SLEEP_STAGES = array(integer(minimum=-1, maximum=3), "-1 no data, 0 wake, 1 light, 2 deep, 3 REM")
_BINARY_STAGES = array(integer(minimum=-1, maximum=1), "-1 no data, 0 no, 1 yes")


def _success(result: Schema) -> Schema:
    """Session API envelope ``{"detail": "success", "result"}`` (§1.3)."""
    return obj({"detail": {"const": "success"}, "result": result})


def _ok(result: Schema) -> Schema:
    """Data API envelope ``{"detail": "OK", "result"}`` (§1.3)."""
    return obj({"detail": {"const": "OK"}, "result": result})


# --------------------------------------------------------------------------- components


def _stat() -> Schema:
    """v3 Stat object: seed 001 §2.1.6, every key with the table's type and `?` nullability."""
    props: dict[str, Schema] = {
        "sleep_time": nullable(offset_time()),
        "wake_time": nullable(offset_time()),
        "sleep_index": nullable(integer("(Beta) 50..100", minimum=50, maximum=100)),
        "sleep_latency": nullable(_SECONDS),
        "wakeup_latency": nullable(_SECONDS),
        "light_latency": nullable(_SECONDS),
        "deep_latency": nullable(_SECONDS),
        "rem_latency": nullable(_SECONDS),
        "time_in_bed": _SECONDS,
        "time_in_sleep_period": _SECONDS,
        "time_in_sleep": _SECONDS,
        "time_in_wake": _SECONDS,
        "time_in_light": nullable(_SECONDS),
        "time_in_deep": nullable(_SECONDS),
        "time_in_rem": nullable(_SECONDS),
        "time_in_stable_breath": nullable(_SECONDS),
        "time_in_unstable_breath": nullable(_SECONDS),
        "time_in_snoring": nullable(_SECONDS),
        "time_in_no_snoring": nullable(_SECONDS),
        "sleep_efficiency": _RATIO,
        "sleep_ratio": nullable(_RATIO),
        "wake_ratio": nullable(_RATIO),
        "light_ratio": nullable(_RATIO),
        "deep_ratio": nullable(_RATIO),
        "rem_ratio": nullable(_RATIO),
        "stable_breath_ratio": nullable(_RATIO),
        "unstable_breath_ratio": nullable(_RATIO),
        "snoring_ratio": nullable(_RATIO),
        "no_snoring_ratio": nullable(_RATIO),
        # The table says "0~1 range" but its own example is 64.83: not bounded here.
        "breathing_index": nullable(number(minimum=0)),
        "breathing_pattern": nullable(enum(BREATHING_PATTERNS)),
        "waso_count": nullable(integer(minimum=0)),
        "longest_waso": nullable(_SECONDS),
        "sleep_cycle_count": nullable(integer(minimum=0)),
        "sleep_cycle": nullable(_SECONDS),
        "sleep_cycle_time": array(offset_time()),
        "unstable_breath_count": nullable(integer(minimum=0)),
        "snoring_count": nullable(integer(minimum=0)),
    }
    return source(
        obj(props, description="Per-session statistics (null rules: seed 001 §2.1.6)."),
        "seed 001 §2.1.6; the last four keys from the SDK models (asleep-api.md §3.7.1)",
    )


def _stat_v2() -> Schema:
    """v1.0 Sleep Data stat keys (seed 000 §1.3.3; asleep-api.md §3.7.2)."""
    props: dict[str, Schema] = {
        "sleep_efficiency": _RATIO,
        "sleep_latency": nullable(_SECONDS),
        "sleep_time": nullable(offset_time()),
        "wakeup_latency": nullable(_SECONDS),
        "wake_time": nullable(offset_time()),
        "time_in_wake": _SECONDS,
        "time_in_sleep_period": _SECONDS,
        "time_in_sleep": _SECONDS,
        "time_in_bed": _SECONDS,
        "time_in_rem": nullable(_SECONDS),
        "time_in_light": nullable(_SECONDS),
        "time_in_deep": nullable(_SECONDS),
        "time_in_stable_breath": nullable(_SECONDS),
        "time_in_unstable_breath": nullable(_SECONDS),
        "wake_ratio": nullable(_RATIO),
        "sleep_ratio": nullable(_RATIO),
        "rem_ratio": nullable(_RATIO),
        "light_ratio": nullable(_RATIO),
        "deep_ratio": nullable(_RATIO),
        "stable_breath_ratio": nullable(_RATIO),
        "unstable_breath_ratio": nullable(_RATIO),
        "breathing_pattern": nullable(enum(LEGACY_BREATHING_PATTERNS)),
        # Typed "0~1 range" like breathing_index, which replaced it; an AHI is not a ratio.
        "estimated_ahi": nullable(number(minimum=0)),
    }
    return source(obj(props), "seed 000 §1.3.3 (v1.0 Sleep Data object)")


def _average_stats_object() -> Schema:
    """``average_stats``: the documented example's keys, then INFERRED ones (§3.9)."""
    props: dict[str, Schema] = {
        "start_time": _CLOCK,
        "end_time": _CLOCK,
        "sleep_time": nullable(_CLOCK),
        "wake_time": nullable(_CLOCK),
        "sleep_latency": nullable(_SECONDS),
        "wakeup_latency": nullable(_SECONDS),
        "time_in_bed": nullable(_SECONDS),
        "time_in_sleep_period": nullable(_SECONDS),
        "time_in_sleep": nullable(_SECONDS),
        "time_in_wake": nullable(_SECONDS),
        "time_in_light": nullable(_SECONDS),
        "time_in_deep": nullable(_SECONDS),
        "time_in_rem": nullable(_SECONDS),
        "time_in_stable_breath": nullable(_SECONDS),
        "time_in_unstable_breath": nullable(_SECONDS),
        "time_in_snoring": nullable(_SECONDS),
        "time_in_no_snoring": nullable(_SECONDS),
        "sleep_efficiency": nullable(_RATIO),
        "wake_ratio": nullable(_RATIO),
        "sleep_ratio": nullable(_RATIO),
        "light_ratio": nullable(_RATIO),
        "deep_ratio": nullable(_RATIO),
        "rem_ratio": nullable(_RATIO),
        "stable_breath_ratio": nullable(_RATIO),
        "unstable_breath_ratio": nullable(_RATIO),
        "snoring_ratio": nullable(_RATIO),
        "no_snoring_ratio": nullable(_RATIO),
        "breathing_index": nullable(number(minimum=0)),
        "breathing_pattern": nullable(enum(BREATHING_PATTERNS)),
        "light_latency": nullable(_SECONDS),
        "deep_latency": nullable(_SECONDS),
        "rem_latency": nullable(_SECONDS),
        "waso_count": nullable(integer(minimum=0)),
        "longest_waso": nullable(_SECONDS),
        "sleep_cycle_count": nullable(integer(minimum=0)),
        "sleep_cycle": nullable(_SECONDS),
        "unstable_breath_count": nullable(integer(minimum=0)),
        "snoring_count": nullable(integer(minimum=0)),
        "sleep_index": nullable(integer(minimum=50, maximum=100)),
    }
    return source(
        obj(props, description="Averages over slept_sessions; clock times hh:mm:ss."),
        "asleep-api.md §3.9 example up to light_ratio and the 23.11.09 changelog; "
        "the other keys INFERRED (they mirror the per-session stat)",
    )


def _slept_session() -> Schema:
    stat = _stat()["properties"]
    keys = (
        "sleep_efficiency", "sleep_latency", "wakeup_latency", "light_latency", "deep_latency",
        "rem_latency", "sleep_time", "wake_time", "time_in_wake", "time_in_sleep_period",
        "time_in_sleep", "time_in_bed", "time_in_rem", "time_in_light", "time_in_deep",
        "time_in_stable_breath", "time_in_unstable_breath", "time_in_snoring",
        "time_in_no_snoring", "wake_ratio", "sleep_ratio", "rem_ratio", "light_ratio",
        "deep_ratio", "stable_breath_ratio", "unstable_breath_ratio", "snoring_ratio",
        "no_snoring_ratio", "unstable_breath_count", "breathing_pattern", "breathing_index",
        "sleep_cycle", "sleep_cycle_count", "waso_count", "longest_waso", "snoring_count",
        "sleep_index",
    )  # fmt: skip
    props: dict[str, Schema] = {
        "id": string(),
        "created_timezone": string(),
        "start_time": offset_time(),
        "end_time": offset_time(),
        "completed_time": offset_time(),
        **{key: stat[key] for key in keys},
    }
    return source(
        obj(props),
        "SDK SleptSession model (asleep-sdk-react-native Asleep.types.ts, asleep-api.md §3.9); "
        "sleep_index INFERRED from Asleep's insight.py",
    )


def components() -> dict[str, Schema]:
    metadata_out = obj(
        {
            "birth_year": nullable(integer()),
            "birth_month": nullable(integer(minimum=1, maximum=12)),
            "birth_day": nullable(integer(minimum=1, maximum=31)),
            "gender": nullable(enum(GENDERS)),
            "height": nullable(number("cm", minimum=0, maximum=300)),
            "weight": nullable(number("kg", minimum=0, maximum=1000)),
        },
        description="User metadata; every documented key is present, null when unset.",
    )
    metadata_in = obj(
        {
            "birth_year": nullable(integer("1900 .. the current year", minimum=1900)),
            "birth_month": nullable(integer(minimum=1, maximum=12)),
            "birth_day": nullable(
                integer("1..31; must exist in birth_month of birth_year", minimum=1, maximum=31)
            ),
            "gender": nullable(enum(GENDERS)),
            "height": nullable(number("cm, at most one decimal place", minimum=0, maximum=300)),
            "weight": nullable(number("kg, at most one decimal place", minimum=0, maximum=1000)),
        },
        required=(),
        additional=True,
        description="Unknown keys are dropped (pydantic's default).",
    )
    last_session_time = string(
        "UTC; the table says YYYY-MM-DDThh:mm:ssZ, the example has no offset",
        pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z?$",
    )
    session_v3 = obj(
        {
            "id": string(),
            "state": ref("AsleepSessionState"),
            "start_time": offset_time(),
            "end_time": nullable(offset_time()),
            "unexpected_end_time": nullable(offset_time()),
            "created_timezone": string(),
            "sleep_stages": nullable(_SLEEP_STAGES),
            "breath_stages": nullable(_BINARY_STAGES),
            "snoring_stages": nullable(_BINARY_STAGES),
        }
    )
    return {
        "AsleepError": source(
            obj({"detail": string()}, description='Every Asleep error: {"detail": "<text>"}.'),
            "asleep-api.md §1.3; seed 001 §2.2-§2.3",
        ),
        "AsleepValidationProblem": source(
            obj(
                {
                    "type": string(),
                    "loc": array({"type": ["string", "integer"]}, minItems=1),
                    "msg": string(),
                    "input": {},
                    "ctx": {"type": "object"},
                },
                required=("type", "loc", "msg", "input"),
            ),
            "INFERRED: FastAPI/pydantic-v2 request-validation item (asleep-api.md §1.4)",
        ),
        "AsleepValidationError": source(
            obj({"detail": array(ref("AsleepValidationProblem"), minItems=1)}),
            "INFERRED: FastAPI's 422 body where Asleep documents no text (asleep-api.md §1.4)",
        ),
        "AsleepSessionState": enum(STATES),
        "AsleepPeculiarity": source(enum(PECULIARITIES), "seed 001 §2.1.1"),
        "AsleepMetadata": source(metadata_out, "asleep-api.md §3.1, §3.2"),
        "AsleepMetadataInput": source(metadata_in, "asleep-api.md §3.1 constraints"),
        "AsleepLastSessionInfo": source(
            obj(
                {
                    "session_id": string(),
                    "inference_type": string("e.g. MELSPECTROGRAM"),
                    "service": string("e.g. NOSERVICE"),
                    "start_time": last_session_time,
                    "end_time": nullable(last_session_time),
                    "state": ref("AsleepSessionState"),
                    "complete_time": nullable(last_session_time),
                }
            ),
            "asleep-api.md §3.2",
        ),
        "AsleepUser": source(
            obj(
                {
                    "user_id": string(),
                    "to_be_deleted": boolean(),
                    "last_session_info": nullable(ref("AsleepLastSessionInfo")),
                    "metadata": nullable(ref("AsleepMetadata")),
                }
            ),
            "asleep-api.md §3.2",
        ),
        "AsleepSession": source(session_v3, "seed 001 §2.1.2"),
        "AsleepStat": _stat(),
        "AsleepSessionResult": source(
            obj(
                {
                    "timezone": string(),
                    "peculiarities": array(ref("AsleepPeculiarity")),
                    "missing_data_ratio": _RATIO,
                    "session": ref("AsleepSession"),
                    "stat": nullable(ref("AsleepStat")),
                }
            ),
            "seed 001 §2.1.1",
        ),
        "AsleepStatV2": _stat_v2(),
        "AsleepSessionResultV2": source(
            obj(
                {
                    "timezone": string(),
                    "validity": string(
                        "IN_PROGRESS, VALID or INVALID:<reason> "
                        "(TOO_MANY_DEFECTS_IN_SLEEP_STAGES, TOO_MANY_DEFECTS_IN_OSA_STAGES)",
                        pattern=r"^(IN_PROGRESS|VALID|INVALID:[A-Z_]+)$",
                    ),
                    "session": obj(
                        {
                            "id": string(),
                            "state": ref("AsleepSessionState"),
                            "start_time": offset_time(),
                            "end_time": nullable(offset_time()),
                            "sleep_stages": nullable(_SLEEP_STAGES),
                            "osa_stages": nullable(
                                array(
                                    integer(minimum=-1, maximum=2),
                                    "-1 no data, 0 no event, 1 apnea, 2 hypopnea",
                                )
                            ),
                        }
                    ),
                    "stat": nullable(ref("AsleepStatV2")),
                }
            ),
            "asleep-api.md §3.7.2 (v1.0 docs)",
        ),
        "AsleepListItem": source(
            obj(
                {
                    "session_id": string(),
                    "state": ref("AsleepSessionState"),
                    "session_start_time": offset_time(),
                    "session_end_time": nullable(offset_time()),
                    "created_timezone": string(),
                    "unexpected_end_time": nullable(offset_time()),
                    "last_received_seq_num": nullable(integer(minimum=0)),
                    "time_in_bed": _SECONDS,
                }
            ),
            "asleep-api.md §3.8",
        ),
        "AsleepSessionList": source(
            obj({"timezone": string(), "sleep_session_list": array(ref("AsleepListItem"))}),
            "asleep-api.md §3.8",
        ),
        "AsleepAverageStatsObject": _average_stats_object(),
        "AsleepSleptSession": _slept_session(),
        "AsleepNeverSleptSession": source(
            obj(
                {
                    "id": string(),
                    "start_time": offset_time(),
                    "end_time": offset_time(),
                    "completed_time": offset_time(),
                }
            ),
            "SDK AsleepNeverSleptSession (asleep-api.md §3.9)",
        ),
        "AsleepAverageStats": source(
            obj(
                {
                    "period": obj(
                        {
                            "timezone": string(),
                            "start_date": string(format="date"),
                            "end_date": string(format="date"),
                        }
                    ),
                    "peculiarities": array(enum(("NO_BREATHING_STABILITY",))),
                    "average_stats": nullable(ref("AsleepAverageStatsObject")),
                    "never_slept_sessions": array(ref("AsleepNeverSleptSession")),
                    "slept_sessions": array(ref("AsleepSleptSession")),
                }
            ),
            "asleep-api.md §3.9",
        ),
    }


# --------------------------------------------------------------------------- responses

_ERROR = ref("AsleepError")
_VALIDATION = ref("AsleepValidationError")


def _error(status: int, text: str) -> tuple[int, Schema]:
    return status, json_response(text, _ERROR)


_UNAUTHORIZED = _error(401, "`Unauthorized` (API key), or `invalid user id` (x-user-id)")
_FORBIDDEN = _error(403, "The plan refuses: `Plan is expired`, `Rate limit exceeded`, ...")
_TOO_LARGE = _error(413, "`HTTP length exceeded 16777216 bytes` (v1.0 error table)")
_TIMEOUT = _error(408, "The body did not arrive in time (emulator)")
_FASTAPI_422 = (422, json_response("FastAPI request-validation list (INFERRED)", _VALIDATION))
_REASON_HEADER: Final = {
    "x-emulator-reason": {
        "description": "Emulator only: the precise reason a chunk was refused",
        "schema": {"type": "string"},
    }
}

# --------------------------------------------------------------------------- parameters

_USER_HEADER = header("x-user-id", string(), "The Asleep-issued user id", required=True)
_TZ_HEADER = header(
    "timezone",
    string(),
    "IANA zone the result is rendered in (default UTC), e.g. Asia/Seoul",
)
_SESSION_ID = path_param("session_id", "Sleep session id, e.g. 20250115025029_fvivn")
_USER_ID = path_param("user_id", "Asleep user id, e.g. G-20250115025029-vLErWBfQNtnfvgDccFOQ")


def _create_session_fields() -> Schema:
    return obj(
        {
            "start_time": string("YYYY-MM-DDTHH:mm:ssZ; default: now"),
            "callback_url": string("absolute http(s) URL for webhooks"),
            "callback_version": enum(("V1", "V2", "V3"), "webhook format; default: the plan's"),
            "service": string(
                "default NOSERVICE; `emulator:<profile>` picks the night's profile (emulator)",
                maxLength=200,
            ),
            "inference_type": enum(("MELSPECTROGRAM", "AUDIO")),
            "timezone": string("IANA zone; the `timezone` header wins"),
        },
        required=(),
        additional=True,
    )


def _close_fields() -> Schema:
    return obj(
        {
            "end_time": string("YYYY-MM-DDTHH:mm:ssZ, after start_time; default: end of the audio"),
            "unexpected": {
                "type": ["integer", "boolean", "string"],
                "description": "1 marks an unexpected end (seed 001 §2.1.2)",
            },
            "callback_url": string(),
        },
        required=(),
        additional=True,
    )


def paths() -> dict[str, dict[str, Any]]:
    sec = API_KEY_SECURITY
    user_result = _success(obj({"user_id": string()}))
    session_errors = (_UNAUTHORIZED, _FORBIDDEN)
    create_fields = _create_session_fields()
    close_fields = _close_fields()
    data_get_errors = (
        _error(
            400,
            "`The format of x-user-id is invalid`, `The format of sleep session id {id} is not "
            "valid`, `The invalid timezone is provided`",
        ),
        *session_errors,
        _error(
            404,
            "`Unable to find the user of id {id}`, `Unable to find the sleep session of id {id}`",
        ),
    )
    return {
        "/ai/v1/users": {
            "post": operation(
                "asleep_create_user",
                "Create a user",
                tag=TAG,
                security=sec,
                request_body=json_body(
                    obj({"metadata": nullable(ref("AsleepMetadataInput"))}, required=()),
                    required=False,
                ),
                responses=responses(
                    (201, json_response("Created", user_result)),
                    *session_errors,
                    _FASTAPI_422,
                    _TOO_LARGE,
                    _TIMEOUT,
                ),
                source_text="asleep-api.md §3.1; 422 INFERRED",
            )
        },
        "/ai/v1/users/{user_id}": {
            "parameters": [_USER_ID],
            "get": operation(
                "asleep_get_user",
                "Get a user",
                tag=TAG,
                security=sec,
                responses=responses(
                    (200, json_response("The user", _success(ref("AsleepUser")))),
                    *session_errors,
                    _error(404, "`user does not exist`"),
                ),
                source_text="asleep-api.md §3.2",
            ),
            "put": operation(
                "asleep_update_user",
                "Replace a user's metadata",
                tag=TAG,
                security=sec,
                request_body=json_body(
                    obj(
                        {"metadata": nullable(ref("AsleepMetadataInput"))},
                        additional=True,
                    )
                ),
                responses=responses(
                    (
                        200,
                        json_response(
                            "Updated",
                            _success(
                                obj(
                                    {
                                        "user_id": string(),
                                        "metadata": nullable(ref("AsleepMetadata")),
                                    }
                                )
                            ),
                        ),
                    ),
                    *session_errors,
                    _error(404, "`user not exist`"),
                    _FASTAPI_422,
                    _TOO_LARGE,
                    _TIMEOUT,
                ),
                source_text="asleep-api.md §3.3 (the example's `sucess`/`gendar` typos "
                "are read as `success`/`gender`); 422 INFERRED",
            ),
            "delete": operation(
                "asleep_delete_user",
                "Delete a user and all their data",
                tag=TAG,
                security=sec,
                responses=responses(
                    (204, empty_response("Deleted")),
                    _error(401, "`Unauthorized` (API key) or `user_id is invalid`"),
                    _FORBIDDEN,
                    _error(404, "`user does not exist`"),
                ),
                source_text="asleep-api.md §3.4 (wording A)",
            ),
        },
        "/ai/v1/sessions": {
            "post": operation(
                "asleep_create_session",
                "Create (open) a sleep session",
                tag=TAG,
                security=sec,
                parameters=[_USER_HEADER, _TZ_HEADER],
                request_body=body(
                    {
                        "application/json": create_fields,
                        "application/x-www-form-urlencoded": create_fields,
                        "multipart/form-data": create_fields,
                    },
                    required=False,
                ),
                responses=responses(
                    (201, json_response("Created", _success(obj({"session_id": string()})))),
                    _error(
                        400,
                        "`The format of x-user-id is invalid`, `The invalid timezone is "
                        "provided`, `Invalid callback url`",
                    ),
                    *session_errors,
                    _error(404, "`user does not exist`"),
                    _error(409, "`Previous sleep session not yet closed` (policy `conflict`)"),
                    _error(
                        422,
                        "`Invalid session start time (YYYY-MM-DDTHH:mm:ssz)`, `Invalid parameter`",
                    ),
                    _TOO_LARGE,
                    _TIMEOUT,
                ),
                source_text="INFERRED path and fields (asleep-api.md §3.5); "
                "errors from the v1.0 error table",
            )
        },
        "/ai/v1/sessions/{session_id}/upload": {
            "parameters": [_SESSION_ID],
            "post": operation(
                "asleep_upload",
                "Upload one 30-second chunk",
                tag=TAG,
                security=sec,
                parameters=[
                    _USER_HEADER,
                    query("seq_num", integer(minimum=0), "Alternative to the form field"),
                ],
                request_body=body(
                    {
                        "multipart/form-data": obj(
                            {
                                "file": binary_file(
                                    "MELSPECTROGRAM: a 2-D .npy; AUDIO: 30 s mp3/wav at "
                                    "16/44.1/48 kHz under 10 MB"
                                ),
                                "seq_num": integer("0-based chunk number", minimum=0),
                                "callback_url": string(),
                            },
                            required=("file", "seq_num"),
                            additional=True,
                        )
                    }
                ),
                responses=responses(
                    (
                        200,
                        json_response(
                            "Stored (INFERRED body)",
                            _success(obj({"session_id": string(), "seq_num": integer(minimum=0)})),
                        ),
                    ),
                    (
                        400,
                        json_response(
                            "`The format of x-user-id is invalid`, `Invalid callback url`, the "
                            "audio validator's text, `MELSPECTROGRAM file cannot be uploaded. "
                            "Only AUDIO file can be uploaded.`",
                            _ERROR,
                            headers=_REASON_HEADER,
                        ),
                    ),
                    *session_errors,
                    _error(403, "`Session already terminated`"),
                    _error(404, "`user does not exist`, `Session does not exist`"),
                    (
                        422,
                        json_response("`Not valid parameter`", _ERROR, headers=_REASON_HEADER),
                    ),
                    _TOO_LARGE,
                    _TIMEOUT,
                ),
                source_text="INFERRED path, fields and 200 body (asleep-api.md §3.5); "
                "errors from the v1.0 error table",
            ),
        },
        **{
            f"/ai/v1/sessions/{{session_id}}/{verb}": {
                "parameters": [_SESSION_ID],
                "post": operation(
                    f"asleep_{verb}_session",
                    "End (close) a sleep session" + (" (alias of /close)" if verb == "end" else ""),
                    tag=TAG,
                    security=sec,
                    parameters=[
                        _USER_HEADER,
                        query("end_time", string(), "YYYY-MM-DDTHH:mm:ssZ"),
                        query("unexpected", string(), "1 marks an unexpected end"),
                        query("callback_url", string(), "absolute http(s) URL"),
                    ],
                    request_body=body(
                        {
                            "application/json": close_fields,
                            "application/x-www-form-urlencoded": close_fields,
                            "multipart/form-data": close_fields,
                        },
                        required=False,
                    ),
                    responses=responses(
                        (
                            200,
                            json_response(
                                "Closed (INFERRED body)",
                                _success(
                                    obj(
                                        {"session_id": string(), "state": ref("AsleepSessionState")}
                                    )
                                ),
                            ),
                        ),
                        _error(
                            400,
                            "`The format of x-user-id is invalid`, `[WARNING] Invalid session end "
                            "time. (YYYY-MM-DDTHH:mm:ssz)`, `Invalid callback url`, "
                            "`Invalid parameter`",
                        ),
                        *session_errors,
                        _error(403, "`Sleep session has already ended`"),
                        _error(404, "`user does not exist`, `Session does not exist`"),
                        _TOO_LARGE,
                        _TIMEOUT,
                    ),
                    source_text="INFERRED path and fields (asleep-api.md §3.5); "
                    "errors from the v1.0 error table",
                ),
            }
            for verb in ("close", "end")
        },
        "/ai/v1/sessions/{session_id}": {
            "parameters": [_SESSION_ID],
            "delete": operation(
                "asleep_delete_session",
                "Delete one session's data",
                tag=TAG,
                security=sec,
                parameters=[_USER_HEADER],
                responses=responses(
                    (204, empty_response("Deleted")),
                    _error(401, "`Unauthorized` (API key) or `invalid user id`"),
                    _FORBIDDEN,
                    _error(404, "`user not exist`, `session does not exist`"),
                ),
                source_text="asleep-api.md §3.6",
            ),
        },
        "/data/v3/sessions/{session_id}": {
            "parameters": [_SESSION_ID],
            "get": operation(
                "asleep_get_session_v3",
                "Get a single session (v3)",
                tag=TAG,
                security=sec,
                parameters=[_USER_HEADER, _TZ_HEADER],
                responses=responses(
                    (200, json_response("The session", _ok(ref("AsleepSessionResult")))),
                    *data_get_errors,
                ),
                source_text="seed 001",
            ),
        },
        "/data/v2/sessions/{session_id}": {
            "parameters": [_SESSION_ID],
            "get": operation(
                "asleep_get_session_v2",
                "Get a single session (legacy v2 shape)",
                tag=TAG,
                security=sec,
                parameters=[_USER_HEADER, _TZ_HEADER],
                responses=responses(
                    (200, json_response("The session", _ok(ref("AsleepSessionResultV2")))),
                    *data_get_errors,
                ),
                source_text="asleep-api.md §3.7.2 (v1.0 docs); errors as v3 (INFERRED)",
            ),
        },
        "/data/v1/sessions": {
            "get": operation(
                "asleep_list_sessions",
                "List a user's sessions",
                tag=TAG,
                security=sec,
                parameters=[
                    _USER_HEADER,
                    _TZ_HEADER,
                    query("date_gte", string(format="date"), "Start date (request zone) >= this"),
                    query("date_lte", string(format="date"), "Start date (request zone) <= this"),
                    query("order_by", enum(("ASC", "DESC")), "By start time; default DESC"),
                    query("offset", integer(minimum=0), "Default 0"),
                    query("limit", integer(minimum=0, maximum=100), "Default 20, at most 100"),
                ],
                responses=responses(
                    (200, json_response("The sessions", _ok(ref("AsleepSessionList")))),
                    _error(
                        400,
                        "`The format of x-user-id is invalid`, `The invalid timezone is provided`",
                    ),
                    *session_errors,
                    _error(404, "`Unable to find the user of id {id}`"),
                    _FASTAPI_422,
                ),
                source_text="asleep-api.md §3.8; 422 INFERRED",
            ),
        },
        "/data/v1/users/{user_id}/average-stats": {
            "parameters": [_USER_ID],
            "get": operation(
                "asleep_average_stats",
                "Average statistics over a period",
                tag=TAG,
                security=sec,
                parameters=[
                    _TZ_HEADER,
                    query("start_date", string(format="date"), "First day", required=True),
                    query("end_date", string(format="date"), "Last day (inclusive)", required=True),
                    query(
                        "timezone",
                        string(),
                        "As the header (Asleep's consumer script sends it here; INFERRED)",
                    ),
                ],
                responses=responses(
                    (200, json_response("The averages", _ok(ref("AsleepAverageStats")))),
                    _error(
                        400,
                        "`The invalid timezone is provided`, `The period should be less than or "
                        "equal to 100 days`, `The start_date should be less than or equal to the "
                        "end_date` (INFERRED)",
                    ),
                    *session_errors,
                    _error(404, "`Unable to find the user of id {id}`"),
                    _FASTAPI_422,
                ),
                source_text="asleep-api.md §3.9; error texts [2ND] and INFERRED",
            ),
        },
    }


def part() -> ApiPart:
    """This API's part of the OpenAPI document."""
    return ApiPart(TAG, "Asleep Session API (/ai/v1) and Data API", paths, components)
