"""The emulator's Asleep controls (``/_emulator/asleep/...``) in the OpenAPI document.

Not Asleep's API but the emulator's (docs/asleep.md Scenarios, docs/webhooks.md the
synthetic night); they sit in Asleep's part because only Asleep knows them. Tag and
error body are the control API's (``core.openapi.CONTROL_TAG``, ``CONTROL_ERROR``).
The values come from where the code defines them: profiles (``Profile``), states,
webhook versions and cadences (settings), the hypnogram limit (``control``).
"""

from __future__ import annotations

from typing import Any, Final

from emulator.asleep import browse_openapi
from emulator.asleep.control import MAX_HYPNOGRAM_EPOCHS
from emulator.asleep.peculiarities import SessionState
from emulator.asleep.profiles import Profile
from emulator.asleep.settings import CADENCES, WEBHOOK_VERSIONS
from emulator.core.openapi import (
    Schema,
    array,
    boolean,
    control_error,
    control_operation,
    empty_response,
    enum,
    integer,
    json_body,
    json_response,
    nullable,
    number,
    obj,
    path_param,
    ref,
    string,
    tenant_parameters,
)
from emulator.core.outbox.records import STATUSES

_PROFILES: Final = tuple(p.value for p in Profile)
_TENANT = tenant_parameters("The tenant whose state is meant (401 without it)")
_USER_ID = path_param("user_id", "An Asleep user of this key")
_SESSION_ID = path_param("session_id", "An Asleep session of this key")
_SCENARIOS = "emulator (docs/asleep.md, Scenarios)"


def components() -> dict[str, Schema]:
    return {
        **browse_openapi.components(),
        "ControlPlan": obj(
            {
                "four_stage": boolean(),
                "breathing": boolean(),
                "realtime": boolean(),
                "webhook_version": enum(WEBHOOK_VERSIONS),
                "cadence_minutes": integer(),
            }
        ),
    }


def sections() -> dict[str, Schema]:
    """Asleep's sections of the control API's shared answers (``ApiPart.control``)."""
    user = obj(
        {
            "user_id": string(),
            "profile": enum(_PROFILES),
            "timezone": string(),
            "sessions": integer(minimum=0),
            "first_night": string(format="date"),
            "last_night": string(format="date"),
        }
    )
    return {
        "access": obj(
            {"asleep": boolean(), "asleep_denied": string(), "asleep_plan": ref("ControlPlan")}
        ),
        "demo": obj({"users": array(user)}),
    }


def _state() -> Schema:
    return enum(tuple(s.value for s in SessionState))


_err = control_error


_UNAUTHORIZED = _err(401, "`unauthorized`: no known x-api-key")


def _op(op_id: str, summary: str, *entries: tuple[int, Schema], **extra: Any) -> Schema:
    source_text = extra.pop("source_text", _SCENARIOS)
    return control_operation(
        op_id, summary, *entries, source_text=source_text, parameters=_TENANT, **extra
    )


def _profile_path() -> dict[str, Any]:
    view = obj(
        {"user_id": string(), "profile": enum(_PROFILES), "source": enum(("control", "default"))}
    )
    return {
        "parameters": [_USER_ID],
        "get": _op(
            "control_asleep_get_profile",
            "A user's effective sleeper profile",
            (200, json_response("The profile", view)),
            _UNAUTHORIZED,
            _err(404, "`not_found`"),
        ),
        "put": _op(
            "control_asleep_put_profile",
            "Choose a user's sleeper profile (null: the seeded default)",
            (200, json_response("The profile", view)),
            _err(400, "`invalid_profile`, `invalid_body`"),
            _UNAUTHORIZED,
            _err(404, "`not_found`"),
            request_body=json_body(obj({"profile": nullable(enum(_PROFILES))})),
        ),
    }


def _night_path() -> dict[str, Any]:
    delivery = obj(
        {
            "id": string(),
            "event": string(),
            "seq_num": nullable(integer(minimum=0)),
            "inference_seq_num": nullable(integer(minimum=0)),
            "status": enum(STATUSES),
        }
    )
    played = obj(
        {
            "session_id": string(),
            "user_id": string(),
            "state": _state(),
            "version": enum(WEBHOOK_VERSIONS),
            "cadence_minutes": integer(),
            "profile": enum(_PROFILES),
            "epochs": integer(minimum=1),
            "start_time": string(),
            "end_time": string(),
            "callback_url": string(),
            "deliveries": array(delivery),
        },
        required=("session_id", "user_id", "state", "deliveries"),
    )
    night = obj(
        {
            "callback_url": string("absolute http(s) URL"),
            "version": enum(WEBHOOK_VERSIONS),
            "hours": number(exclusiveMinimum=0, maximum=24),
            "start_time": string("ISO 8601 instant; default: ending now"),
            "profile": enum(_PROFILES),
            "cadence": {"type": "integer", "enum": list(CADENCES)},
        },
        required=("callback_url",),
    )
    return {
        "parameters": [_USER_ID],
        "post": _op(
            "control_asleep_play_night",
            "Play a whole night for a user and queue its webhooks",
            (201, json_response("The session made, and the deliveries queued in order", played)),
            _err(400, "`invalid_night`, `invalid_callback_url`, `invalid_body`"),
            _UNAUTHORIZED,
            _err(404, "`not_found`: no such user"),
            _err(409, "`session_open`: the user has an OPEN session (policy conflict)"),
            request_body=json_body(night),
            source_text="emulator (docs/webhooks.md, the synthetic night)",
        ),
    }


def _hypnogram_path() -> dict[str, Any]:
    def stages(low: int, high: int) -> Schema:
        return array(integer(minimum=low, maximum=high), maxItems=MAX_HYPNOGRAM_EPOCHS)

    injected = obj(
        {
            "session_id": string(),
            "epochs": integer(minimum=0),
            "state": _state(),
            "end_time_from_hypnogram": boolean(),
        }
    )
    night = obj(
        {
            "sleep_stages": stages(-1, 3),
            "breath_stages": nullable(stages(-1, 1)),
            "snoring_stages": nullable(stages(-1, 1)),
        },
        required=("sleep_stages",),
    )
    return {
        "parameters": [_SESSION_ID],
        "put": _op(
            "control_asleep_put_hypnogram",
            "Make an exact night the session's result",
            (200, json_response("Injected", injected)),
            _err(400, "`invalid_hypnogram`, `invalid_body`"),
            _UNAUTHORIZED,
            _err(404, "`not_found`"),
            request_body=json_body(night),
        ),
        "delete": _op(
            "control_asleep_delete_hypnogram",
            "Remove an injected night",
            (204, empty_response("Removed")),
            _UNAUTHORIZED,
            _err(404, "`not_found`"),
        ),
    }


def paths() -> dict[str, dict[str, Any]]:
    prefix = "/_emulator/asleep"
    return {
        **browse_openapi.paths(),
        f"{prefix}/users/{{user_id}}/profile": _profile_path(),
        f"{prefix}/users/{{user_id}}/nights": _night_path(),
        f"{prefix}/sessions/{{session_id}}/hypnogram": _hypnogram_path(),
        f"{prefix}/sessions/{{session_id}}/complete": {
            "parameters": [_SESSION_ID],
            "post": _op(
                "control_asleep_complete",
                "Finish a CLOSED session's analysis now",
                (
                    200,
                    json_response(
                        "The session's state", obj({"session_id": string(), "state": _state()})
                    ),
                ),
                _UNAUTHORIZED,
                _err(404, "`not_found`"),
            ),
        },
    }
