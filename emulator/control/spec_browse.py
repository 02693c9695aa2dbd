"""The read-only "browse" part of the control API in the OpenAPI document.

What a dashboard needs to look around without knowing ids: the overview of keys and
counts, one journal entry in detail, a tenant's Asleep users and nights, its Kintsugi
sessions (``emulator.control.overview``, ``emulator.control.endpoints``,
``emulator.asleep.browse``, ``emulator.kintsugi.control``). Merged into the control
part by ``emulator.control.spec``.
"""

from __future__ import annotations

from typing import Any, Final

from emulator.core.openapi import (
    NO_SECURITY,
    Schema,
    array,
    boolean,
    enum,
    header,
    integer,
    json_response,
    nullable,
    number,
    obj,
    operation,
    path_param,
    query,
    ref,
    responses,
    string,
)

TAG: Final = "Emulator control"
SOURCE: Final = "emulator (docs/inspector.md, control API for browsing)"
SESSION_STATES: Final = ("OPEN", "CLOSED", "COMPLETE")
KINTSUGI_STATUSES: Final = ("initiated", "no_consent", "processing", "success", "failed")
_ANY: Final[Schema] = {}
_OBJECT: Final[Schema] = {"type": "object"}


def _err(status: int, text: str) -> tuple[int, Schema]:
    return status, json_response(text, ref("ControlError"))


def _op(op_id: str, summary: str, *entries: tuple[int, Schema], **kwargs: Any) -> Schema:
    return operation(
        op_id,
        summary,
        tag=TAG,
        security=NO_SECURITY,
        responses=responses(*entries),
        source_text=SOURCE,
        **kwargs,
    )


def _ok(text: str, schema: Schema) -> tuple[int, Schema]:
    return 200, json_response(text, schema)


def _journal_detail() -> Schema:
    pairs = array(array(string(), minItems=2, maxItems=2))
    return obj(
        {
            "id": integer(minimum=1),
            "time": string(),
            "method": string(),
            "path": string(),
            "query": string(),
            "status": integer(minimum=0),
            "duration_ms": number(minimum=0),
            "api_key": nullable(string("masked: prefix…hash")),
            "vendor": string(),
            "fault": nullable(string()),
            "request_headers": pairs,
            "response_headers": pairs,
            "request_body": obj(
                {"content_type": nullable(string()), "length": nullable(integer(minimum=0))}
            ),
            "response_body": obj(
                {
                    "content_type": nullable(string()),
                    "length": integer(minimum=0),
                    "excerpt": nullable(string("the first 256 bytes")),
                }
            ),
        },
        description="A journal entry with headers (credentials masked) and body summaries.",
    )


def components() -> dict[str, Schema]:
    return {
        "ControlJournalDetail": _journal_detail(),
        "ControlAsleepUser": obj(
            {
                "user_id": string(),
                "created_at": string(),
                "metadata": nullable(_OBJECT),
                "profile": string(),
                "profile_source": enum(("control", "default")),
                "sessions": integer(minimum=0),
                "last_session": nullable(
                    obj(
                        {
                            "session_id": string(),
                            "state": enum(SESSION_STATES),
                            "start_time": string(),
                            "end_time": nullable(string()),
                            "created_timezone": string(),
                        }
                    )
                ),
            }
        ),
        "ControlAsleepSessionItem": obj(
            {
                "session_id": string(),
                "state": enum(SESSION_STATES),
                "start_time": string(),
                "end_time": nullable(string()),
                "created_timezone": string(),
                "time_in_bed": integer(minimum=0),
                "peculiarities": array(string()),
                "missing_data_ratio": number(minimum=0, maximum=1),
                "summary": nullable(_OBJECT),
            }
        ),
    }


def _page(limit_max: int) -> list[dict[str, Any]]:
    return [
        query("limit", integer(minimum=1, maximum=limit_max), "Page size"),
        query("offset", integer(minimum=0), "Skip N first"),
    ]


def _paged(key: str, item: Schema, **extra: Schema) -> Schema:
    return obj(
        {
            **extra,
            "total": integer(minimum=0),
            "offset": integer(minimum=0),
            "limit": integer(minimum=1),
            key: array(item),
        }
    )


def _stages(low: int, high: int) -> Schema:
    return nullable(array(integer(minimum=low, maximum=high)))


def _asleep_session() -> Schema:
    return obj(
        {
            "session_id": string(),
            "user_id": string(),
            "state": enum(SESSION_STATES),
            "timezone": string(),
            "start_time": string(),
            "end_time": nullable(string()),
            "unexpected_end_time": nullable(string()),
            "complete_time": nullable(string()),
            "created_timezone": string(),
            "service": string(),
            "inference_type": string(),
            "profile": string(),
            "injected": boolean(),
            "four_stage": boolean(),
            "breathing": boolean(),
            "epoch_seconds": integer(minimum=1),
            "received_chunks": integer(minimum=0),
            "sleep_stages": _stages(-1, 3),
            "breath_stages": _stages(-1, 1),
            "snoring_stages": _stages(-1, 1),
            "peculiarities": array(string()),
            "missing_data_ratio": number(minimum=0, maximum=1),
            "stat": nullable(_OBJECT),
            "stat_units": {"type": "object", "additionalProperties": string()},
        }
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
            "status": enum(KINTSUGI_STATUSES),
            "created_at": string(),
            "updated_at": string(),
            "prediction": nullable(prediction),
            "feedback": _OBJECT,
            "feedback_at": nullable(string()),
        }
    )


def _overview() -> Schema:
    tenant = obj(
        {
            "api_key": string(),
            "configured": boolean(),
            "counts": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "additionalProperties": integer(minimum=0),
                },
                "description": "vendor -> name -> count",
            },
        }
    )
    return _paged(
        "tenants",
        tenant,
        version=string(),
        seed=integer(),
        clock=ref("ControlClock"),
        open=boolean(),
        vendors=array(obj({"name": string(), "title": string()})),
    )


def _tenant(description: str) -> list[dict[str, Any]]:
    """The tenant: the X-API-Key header, or its alias ``?api_key=`` (a 400 when the two
    disagree: emulator.core.control_tenant)."""
    return [
        header("x-api-key", string(minLength=1), description),
        query("api_key", string(minLength=1), "Alias of the X-API-Key header (the older form)"),
    ]


def _asleep_paths(
    tenant: list[dict[str, Any]], zone: dict[str, Any], unauthorized: tuple[int, Schema]
) -> dict[str, dict[str, Any]]:
    return {
        "/_emulator/asleep/users": {
            "get": _op(
                "control_asleep_users",
                "The tenant's Asleep users, in creation order",
                _ok("A page of users", _paged("users", ref("ControlAsleepUser"))),
                _err(400, "A bad paging parameter"),
                unauthorized,
                parameters=[*tenant, *_page(200)],
            )
        },
        "/_emulator/asleep/users/{user_id}/sessions": {
            "parameters": [path_param("user_id", "An Asleep user of this key")],
            "get": _op(
                "control_asleep_user_sessions",
                "A user's sessions, newest first",
                _ok(
                    "A page of sessions",
                    _paged(
                        "sessions",
                        ref("ControlAsleepSessionItem"),
                        user=ref("ControlAsleepUser"),
                        timezone=string(),
                    ),
                ),
                _err(400, "A bad paging parameter, `invalid_timezone`"),
                unauthorized,
                _err(404, "`not_found`: no such user"),
                parameters=[*tenant, *_page(200), zone],
            ),
        },
        "/_emulator/asleep/sessions/{session_id}": {
            "parameters": [path_param("session_id", "An Asleep session of this key")],
            "get": _op(
                "control_asleep_session",
                "One session: stage arrays, stat with units, peculiarities",
                _ok("The session", _asleep_session()),
                _err(400, "`invalid_timezone`, `conflicting_api_key`"),
                unauthorized,
                _err(404, "`not_found`"),
                parameters=[*tenant, zone],
            ),
        },
    }


def paths() -> dict[str, dict[str, Any]]:
    tenant = _tenant("The tenant to browse (401 without it)")
    kintsugi_key = _tenant("The tenant (400 missing_api_key without it)")
    zone = query("timezone", string(), "IANA zone the times are rendered in (default UTC)")
    unauthorized = _err(401, "`unauthorized`: no known x-api-key")
    return {
        "/_emulator/overview": {
            "get": _op(
                "control_overview",
                "The clock, and every key that is configured or holds state, with counts",
                _ok("The overview", _overview()),
                _err(400, "A bad paging parameter"),
                parameters=_page(1000),
            )
        },
        "/_emulator/requests/{entry_id}": {
            "parameters": [path_param("entry_id", "A journal entry id")],
            "get": _op(
                "control_get_request",
                "One journal entry with headers and body summaries",
                _ok("The entry", ref("ControlJournalDetail")),
                _err(404, "`not_found`: no such entry (or it fell off the ring)"),
            ),
        },
        **_asleep_paths(tenant, zone, unauthorized),
        "/_emulator/kintsugi/sessions/{session_id}": {
            "parameters": [path_param("session_id", "A Kintsugi session of this key")],
            "get": _op(
                "control_kintsugi_session",
                "One session: prediction, audio verdict, feedback",
                _ok("The session", _kintsugi_session()),
                _err(400, "`missing_api_key`, `conflicting_api_key`"),
                _err(404, "`not_found`"),
                parameters=kintsugi_key,
            ),
        },
    }
