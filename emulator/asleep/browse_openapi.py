"""The emulator's Asleep browsing endpoints (read-only) in the OpenAPI document.

What a dashboard needs to look around a tenant's Asleep state without knowing ids
(docs/inspector.md, control API for browsing; ``emulator.asleep.browse``): its users,
a user's sessions, one session in full. Part of Asleep's part (``control_openapi``).
"""

from __future__ import annotations

from typing import Any, Final

from emulator.asleep.browse import MAX_LIMIT
from emulator.asleep.peculiarities import SessionState
from emulator.core.openapi import (
    Schema,
    array,
    boolean,
    control_error,
    control_op,
    enum,
    integer,
    item_path,
    json_response,
    nullable,
    number,
    obj,
    page_parameters,
    paged,
    query,
    ref,
    string,
    tenant_parameters,
)

SOURCE: Final = "emulator (docs/inspector.md, control API for browsing)"
_STATES: Final = tuple(state.value for state in SessionState)
_OBJECT: Final[Schema] = {"type": "object"}


_err = control_error


def _op(op_id: str, summary: str, *entries: tuple[int, Schema], **kwargs: Any) -> Schema:
    return control_op(op_id, summary, SOURCE, *entries, **kwargs)


def _ok(text: str, schema: Schema) -> tuple[int, Schema]:
    return 200, json_response(text, schema)


def _stages(low: int, high: int) -> Schema:
    return nullable(array(integer(minimum=low, maximum=high)))


def components() -> dict[str, Schema]:
    return {
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
                            "state": enum(_STATES),
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
                "state": enum(_STATES),
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


def _asleep_session() -> Schema:
    return obj(
        {
            "session_id": string(),
            "user_id": string(),
            "state": enum(_STATES),
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


def _paths(
    tenant: list[dict[str, Any]], zone: dict[str, Any], unauthorized: tuple[int, Schema]
) -> dict[str, dict[str, Any]]:
    return {
        "/_emulator/asleep/users": {
            "get": _op(
                "control_asleep_users",
                "The tenant's Asleep users, in creation order",
                _ok("A page of users", paged("users", ref("ControlAsleepUser"))),
                _err(400, "A bad paging parameter"),
                unauthorized,
                parameters=[*tenant, *page_parameters(MAX_LIMIT)],
            )
        },
        "/_emulator/asleep/users/{user_id}/sessions": item_path(
            "user_id",
            "An Asleep user of this key",
            get=_op(
                "control_asleep_user_sessions",
                "A user's sessions, newest first",
                _ok(
                    "A page of sessions",
                    paged(
                        "sessions",
                        ref("ControlAsleepSessionItem"),
                        user=ref("ControlAsleepUser"),
                        timezone=string(),
                    ),
                ),
                _err(400, "A bad paging parameter, `invalid_timezone`"),
                unauthorized,
                _err(404, "`not_found`: no such user"),
                parameters=[*tenant, *page_parameters(MAX_LIMIT), zone],
            ),
        ),
        "/_emulator/asleep/sessions/{session_id}": item_path(
            "session_id",
            "An Asleep session of this key",
            get=_op(
                "control_asleep_session",
                "One session: stage arrays, stat with units, peculiarities",
                _ok("The session", _asleep_session()),
                _err(400, "`invalid_timezone`, `conflicting_api_key`"),
                unauthorized,
                _err(404, "`not_found`"),
                parameters=[*tenant, zone],
            ),
        ),
    }


def paths() -> dict[str, dict[str, Any]]:
    tenant = tenant_parameters("The tenant to browse (401 without it)")
    zone = query("timezone", string(), "IANA zone the times are rendered in (default UTC)")
    return _paths(tenant, zone, _err(401, "`unauthorized`: no known x-api-key"))
