"""The emulator's own API under ``/_emulator`` in the OpenAPI document.

Not a vendor API: the shapes are the emulator's, as docs/control-api.md,
docs/webhooks.md, docs/asleep.md and docs/kintsugi.md describe them. Errors are
``{"error": code, "message": text}``. Parts of the answers that are open-ended on
purpose (snapshot rows, a delivery's body, a scenario's example) are described as
plain objects or any JSON.
"""

from __future__ import annotations

from typing import Any, Final

from emulator.control import spec_browse
from emulator.core.openapi import (
    NO_SECURITY,
    ApiPart,
    Schema,
    array,
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
    operation,
    path_param,
    query,
    ref,
    responses,
    string,
)

TAG: Final = "Emulator control"
SOURCE: Final = "emulator (docs/control-api.md)"
PROGRESSION_MODES: Final = ("immediate", "polls", "seconds", "manual")
DELIVERY_STATUSES: Final = ("pending", "delivering", "delivered", "failed", "abandoned")
FAIL_MODES: Final = ("drop", "duplicate", "fail_after_send")
PROFILES: Final = (
    "normal", "good_sleeper", "insomnia", "never_slept", "mild_unstable_breathing",
    "moderate_unstable_breathing", "severe_unstable_breathing", "heavy_snorer",
)  # fmt: skip

_ANY: Final[Schema] = {}
_OPEN_OBJECT: Final[Schema] = {"type": "object"}


def components() -> dict[str, Schema]:
    policy = obj(
        {
            "mode": enum(PROGRESSION_MODES),
            "polls": integer(minimum=0),
            "seconds": number(minimum=0),
        }
    )
    plan = obj(
        {
            "four_stage": boolean(),
            "breathing": boolean(),
            "realtime": boolean(),
            "webhook_version": enum(("V1", "V2", "V3")),
            "cadence_minutes": integer(),
        }
    )
    rule = obj(
        {
            "id": string(),
            "action": enum(("latency", "error", "throttle", "drop")),
            "method": nullable(string()),
            "path": string(),
            "api_key": nullable(string()),
            "latency_ms": nullable({"type": ["number", "object"]}),
            "probability": number(minimum=0, maximum=1),
            "times": nullable(integer(minimum=0)),
            "after": integer(minimum=0),
            "status": integer(),
            "code": nullable(string()),
            "body": _ANY,
            "headers": nullable(_OPEN_OBJECT),
            "retry_after": nullable(number()),
            "mode": string(),
            "phase": string(),
            "matches": integer(minimum=0),
            "hits": integer(minimum=0),
            "expired": boolean(),
        },
        required=(
            "id", "action", "method", "path", "api_key", "latency_ms", "probability", "times",
            "after", "matches", "hits", "expired",
        ),
    )  # fmt: skip
    attempt = obj(
        {
            "attempt": integer(minimum=1),
            "time": string(),
            "latency_ms": number(minimum=0),
            "outcome": string(),
            "status": nullable(integer()),
            "error": nullable(string()),
            "error_kind": nullable(string()),
            "injected": nullable(string()),
            "duplicate": boolean(),
            "retry_in_seconds": nullable(number(minimum=0)),
            "response_excerpt": nullable(string()),
        },
        additional=True,
    )
    delivery = obj(
        {
            "id": string(),
            "api_key": string(),
            "session_id": string(),
            "user_id": string(),
            "event": string(),
            "url": string(),
            "status": enum(DELIVERY_STATUSES),
            "created_at": string(),
            "finished_at": nullable(string()),
            "next_attempt_at": nullable(string()),
            "redelivery_of": nullable(string()),
            "note": nullable(string()),
            "attempt_count": integer(minimum=0),
            "attempts": array(ref("ControlDeliveryAttempt")),
            "headers": {"type": "object", "additionalProperties": string()},
            "body": _ANY,
        },
        required=(
            "id", "api_key", "session_id", "user_id", "event", "url", "status", "created_at",
            "finished_at", "next_attempt_at", "redelivery_of", "note", "attempt_count", "attempts",
        ),
        description="headers and body are left out of brief listings (brief=true)",
    )  # fmt: skip
    summary = {
        "type": "object",
        "properties": {s: integer(minimum=0) for s in DELIVERY_STATUSES},
        "required": list(DELIVERY_STATUSES),
        "additionalProperties": False,
    }
    switch = obj(
        {
            "mode": enum(FAIL_MODES),
            "remaining": nullable(integer(minimum=1)),
            "api_key": nullable(string()),
            "event": nullable(string()),
        }
    )
    return {
        "ControlError": obj(
            {"error": string("machine-readable code"), "message": string("what is wrong")},
            description="Every refusal of the control API.",
        ),
        "ControlClock": obj(
            {"now": string("ISO 8601 instant"), "frozen": boolean()},
        ),
        "ControlPolicy": policy,
        "ControlProgressions": {
            "type": "object",
            "additionalProperties": ref("ControlPolicy"),
            "description": "One policy per vendor with asynchronous work (asleep, kintsugi).",
        },
        "ControlPlan": plan,
        "ControlTenant": obj(
            {
                "api_key": string(),
                "kintsugi": boolean(),
                "asleep": boolean(),
                "asleep_denied": string(),
                "asleep_plan": ref("ControlPlan"),
            }
        ),
        "ControlFaultRule": rule,
        "ControlJournalEntry": obj(
            {
                "id": integer(minimum=1),
                "time": string(),
                "method": string(),
                "path": string(),
                "query": string(),
                "status": integer(minimum=0),
                "duration_ms": number(minimum=0),
                "api_key": nullable(string()),
                "vendor": string(),
                "fault": nullable(string()),
            }
        ),
        "ControlSnapshot": obj(
            {
                "format": {"const": "vendor-emulator-state"},
                "version": {"const": 1},
                "seed": integer(),
                "tenants": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "additionalProperties": {
                            "type": "object",
                            "additionalProperties": _OPEN_OBJECT,
                        },
                    },
                    "description": "api key -> table -> row key -> row",
                },
                "clock": ref("ControlClock"),
            },
            required=("format", "version", "seed", "tenants"),
        ),
        "ControlDeliveryAttempt": attempt,
        "ControlDelivery": delivery,
        "ControlDeliverySummary": summary,
        "ControlFailureSwitch": switch,
        "ControlScenario": obj(
            {
                "api": string("asleep, kintsugi or emulator"),
                "name": string(),
                "kind": enum(("magic-input", "control")),
                "description": string(),
                "example": _ANY,
            }
        ),
        **spec_browse.components(),
        "ControlContractViolation": obj(
            {
                "method": string(),
                "path": string(),
                "operation": nullable(string()),
                "status": integer(),
                "message": string(),
            }
        ),
    }


def _err(status: int, text: str) -> tuple[int, Schema]:
    return status, json_response(text, ref("ControlError"))


_BAD: Final = _err(400, "A field or parameter is wrong (the message says which)")


def _tenant(description: str) -> list[dict[str, Any]]:
    """The tenant an operation acts on: the X-API-Key header, or its older alias
    ``?api_key=`` (emulator.core.control_tenant)."""
    return [
        header("x-api-key", string(minLength=1), description),
        query("api_key", string(minLength=1), "Alias of the X-API-Key header (the older form)"),
    ]


_TENANT = _tenant("Only this tenant (omit: every tenant)")
_TENANT_HEADER = _tenant("The tenant whose state is meant (401 without it)")
# Naming the tenant twice, differently (header vs alias) is a 400 wherever a tenant is read.
_CONFLICT: Final = _err(400, "`conflicting_api_key`: the header and an alias disagree")


def _op(op_id: str, summary: str, *entries: tuple[int, Schema], **kwargs: Any) -> Schema:
    params = kwargs.get("parameters", ())
    if any(p.get("in") == "header" and p.get("name") == "x-api-key" for p in params):
        entries = (*entries, _CONFLICT)
    return operation(
        op_id,
        summary,
        tag=TAG,
        security=NO_SECURITY,
        responses=responses(*entries),
        source_text=kwargs.pop("source_text", SOURCE),
        **kwargs,
    )


def _ok(text: str, schema: Schema, status: int = 200) -> tuple[int, Schema]:
    return status, json_response(text, schema)


def paths() -> dict[str, dict[str, Any]]:
    clock_body = obj(
        {
            "freeze": boolean(),
            "resume": boolean(),
            "set": string("ISO 8601 instant, e.g. 2025-01-15T02:50:29Z"),
            "advance": number("seconds, 0 or more", minimum=0),
        },
        required=(),
        description="Applied in the order freeze, set, advance, resume.",
    )
    policy_change = obj(
        {
            "mode": enum(PROGRESSION_MODES),
            "polls": integer(minimum=0),
            "seconds": number(minimum=0),
        },
        required=(),
    )
    outcome = obj(
        {
            "depression_severity": enum(("no_to_mild", "mild_to_moderate", "moderate_to_severe")),
            "depression_binary": enum(("false", "true", "additional_consideration_required")),
            "anxiety_severity": enum(("no_or_minimal", "mild", "moderate", "severe")),
            "error": enum(
                ("unstandard_audio", "unsupported_audio_spec", "insufficient_audio_length")
            ),
            "hold": boolean(),
        },
        required=(),
    )
    kintsugi_key = _tenant("The tenant (400 missing_api_key without it)")
    callbacks_disabled = _err(503, "`callbacks_disabled`: callback delivery is not enabled")
    return {
        **spec_browse.paths(),
        "/_emulator/health": {
            "get": _op(
                "control_health",
                "Is the emulator up",
                _ok(
                    "Up",
                    obj(
                        {
                            "status": {"const": "ok"},
                            "version": string(),
                            "apis": array(
                                obj(
                                    {
                                        "name": string(),
                                        "title": string(),
                                        "prefixes": array(string()),
                                    }
                                )
                            ),
                            "seed": integer(),
                            "now": string(),
                        }
                    ),
                ),
            )
        },
        "/_emulator/reset": {
            "post": _op(
                "control_reset",
                "Forget all state (or one key's), back to start-up",
                _ok(
                    "Reset",
                    obj({"reset": enum(("all", "tenant")), "api_key": nullable(string())}),
                ),
                _BAD,
                parameters=_TENANT,
            )
        },
        "/_emulator/requests": {
            "get": _op(
                "control_list_requests",
                "The request journal, oldest first",
                _ok(
                    "The journal",
                    obj(
                        {
                            "capacity": integer(minimum=0),
                            "count": integer(minimum=0),
                            "last_id": integer("id of the newest entry (0: none)", minimum=0),
                            "requests": array(
                                {
                                    "anyOf": [
                                        ref("ControlJournalEntry"),
                                        ref("ControlJournalDetail"),
                                    ]
                                }
                            ),
                        }
                    ),
                ),
                _BAD,
                parameters=[
                    query("method", string(), "Only this method"),
                    query("path_prefix", string(), "Only paths starting so"),
                    *_TENANT,
                    query("vendor", string(), "asleep, kintsugi"),
                    query("faulted", string(), "true: only faulted requests"),
                    query("status", string(pattern="^[1-5xX][0-9xX]{2}$"), "404, or a class: 4xx"),
                    query("after", integer(minimum=0), "Only entries with a higher id"),
                    query("detail", enum(("true", "false")), "true: headers and body summaries"),
                    query("limit", integer(minimum=0), "The newest N"),
                ],
            ),
            "delete": _op(
                "control_clear_requests",
                "Clear the journal (or one key's entries)",
                _ok("Cleared", obj({"cleared": integer(minimum=0)})),
                parameters=_TENANT,
            ),
        },
        "/_emulator/scenarios": {
            "get": _op(
                "control_scenarios",
                "Every magic input and control, with an example",
                _ok("The scenarios", obj({"scenarios": array(ref("ControlScenario"))})),
            )
        },
        "/_emulator/tenants": {
            "get": _op(
                "control_tenants",
                "The configured keys and plans",
                _ok(
                    "Open mode (no config file), or the configured keys",
                    {
                        "oneOf": [
                            obj(
                                {
                                    "open": {"const": True},
                                    "defaults": {
                                        "type": "object",
                                        "description": (
                                            "What any key gets: every vendor's access fields, "
                                            "as in ControlTenant without api_key"
                                        ),
                                    },
                                }
                            ),
                            obj(
                                {
                                    "open": {"const": False},
                                    "tenants": array(ref("ControlTenant")),
                                }
                            ),
                        ]
                    },
                ),
            )
        },
        "/_emulator/state": {
            "get": _op(
                "control_get_state",
                "Snapshot the world (or one key's part of it)",
                _ok("The snapshot", ref("ControlSnapshot")),
                _BAD,
                parameters=_TENANT,
            ),
            "put": _op(
                "control_put_state",
                "Restore a snapshot",
                _ok(
                    "Restored",
                    obj(
                        {
                            "restored": enum(("all", "tenant")),
                            "api_key": nullable(string()),
                            "tenants": array(string()),
                            "rows": integer(minimum=0),
                            "seed": integer(),
                        }
                    ),
                ),
                _BAD,
                parameters=_TENANT,
                request_body=json_body(ref("ControlSnapshot")),
            ),
        },
        "/_emulator/clock": {
            "get": _op("control_get_clock", "The virtual clock", _ok("Now", ref("ControlClock"))),
            "post": _op(
                "control_change_clock",
                "Freeze, set, advance or resume the virtual clock",
                _ok("The new clock", ref("ControlClock")),
                _BAD,
                request_body=json_body(clock_body),
            ),
        },
        "/_emulator/progression": {
            "get": _op(
                "control_get_progression",
                "How each vendor's asynchronous work finishes",
                _ok("The policies", ref("ControlProgressions")),
            ),
            "put": _op(
                "control_put_progression",
                "Change some vendors' policies",
                _ok("The policies", ref("ControlProgressions")),
                _BAD,
                request_body=json_body(
                    {
                        "type": "object",
                        "properties": {"asleep": policy_change, "kintsugi": policy_change},
                        "additionalProperties": False,
                        "minProperties": 1,
                    }
                ),
            ),
        },
        "/_emulator/advance": {
            "post": _op(
                "control_advance",
                "Finish pending asynchronous work now",
                _ok(
                    "What was finished",
                    obj(
                        {
                            "advanced": {
                                "type": "object",
                                "additionalProperties": integer(minimum=0),
                            },
                            "total": integer(minimum=0),
                            "api_key": nullable(string()),
                            "session_id": nullable(string()),
                        }
                    ),
                ),
                _BAD,
                parameters=[
                    query("api", enum(("asleep", "kintsugi")), "Only this vendor"),
                    *_TENANT,
                    query("session_id", string(minLength=1), "Only this session"),
                ],
            )
        },
        "/_emulator/faults": {
            "get": _op(
                "control_list_faults",
                "The fault rules with their counters",
                _ok(
                    "The rules",
                    obj({"seed": integer(), "rules": array(ref("ControlFaultRule"))}),
                ),
            ),
            "put": _op(
                "control_replace_faults",
                "Replace the whole rule list (with a tenant named: that tenant's rules)",
                _ok("The rules", obj({"rules": array(ref("ControlFaultRule"))})),
                _BAD,
                parameters=_tenant("Replace only this tenant's rules, scoped to it"),
                request_body=json_body(
                    {
                        "anyOf": [
                            array(_OPEN_OBJECT),
                            obj({"rules": array(_OPEN_OBJECT)}),
                        ]
                    }
                ),
            ),
            "post": _op(
                "control_add_fault",
                "Add one rule",
                _ok("The rule with its id", ref("ControlFaultRule"), 201),
                _BAD,
                parameters=_tenant("Scope the rule to this tenant"),
                request_body=json_body(
                    obj(
                        {
                            "id": string(),
                            "method": string(),
                            "path": string(),
                            "api_key": string(),
                            "action": enum(("latency", "error", "throttle", "drop")),
                            "latency_ms": {"type": ["number", "object"]},
                            "probability": number(minimum=0, maximum=1),
                            "times": integer(minimum=0),
                            "after": integer(minimum=0),
                            "status": integer(minimum=400, maximum=599),
                            "code": string(),
                            "body": _ANY,
                            "headers": _OPEN_OBJECT,
                            "retry_after": number(minimum=0),
                            "mode": enum(("close", "reset")),
                            "phase": enum(("request", "response")),
                        },
                        required=(),
                    )
                ),
            ),
            "delete": _op(
                "control_clear_faults",
                "Delete every rule, or those scoped to one key",
                _ok("Deleted", obj({"deleted": integer(minimum=0)})),
                _BAD,
                parameters=_TENANT,
            ),
        },
        "/_emulator/faults/{rule_id}": {
            "parameters": [path_param("rule_id", "f1, f2, ... or your own id")],
            "get": _op(
                "control_get_fault",
                "One rule",
                _ok("The rule", ref("ControlFaultRule")),
                _err(404, "`not_found`"),
            ),
            "delete": _op(
                "control_delete_fault",
                "Delete one rule",
                _ok("Deleted", obj({"deleted": {"const": 1}})),
                _err(404, "`not_found`"),
            ),
        },
        "/_emulator/callbacks": {
            "get": _op(
                "control_list_callbacks",
                "The webhook delivery log, oldest first",
                _ok(
                    "The log",
                    obj(
                        {
                            "capacity": integer(minimum=0),
                            "count": integer(minimum=0),
                            "total": integer("deliveries matching the filters", minimum=0),
                            "summary": ref("ControlDeliverySummary"),
                            "callbacks": array(ref("ControlDelivery")),
                        }
                    ),
                ),
                _BAD,
                callbacks_disabled,
                parameters=[
                    *_TENANT,
                    query("session_id", string(minLength=1), "Only this session"),
                    query("user_id", string(minLength=1), "Only this user"),
                    query("event", string(minLength=1), "Only this event"),
                    query("status", enum(DELIVERY_STATUSES), "Only this status"),
                    query("limit", integer(minimum=0), "The newest N"),
                    query("offset", integer(minimum=0), "Skip the newest N first"),
                    query("brief", enum(("true", "false")), "true: no headers and bodies"),
                ],
                source_text="emulator (docs/webhooks.md, Delivery log and control endpoints)",
            ),
            "delete": _op(
                "control_clear_callbacks",
                "Forget finished deliveries",
                _ok("Cleared", obj({"cleared": integer(minimum=0)})),
                _BAD,
                callbacks_disabled,
                parameters=_TENANT,
                source_text="emulator (docs/webhooks.md, Delivery log and control endpoints)",
            ),
        },
        "/_emulator/callbacks/failures": {
            "get": _op(
                "control_get_callback_failures",
                "The failure switches in force",
                _ok("The switches", obj({"switches": array(ref("ControlFailureSwitch"))})),
                callbacks_disabled,
                source_text="emulator (docs/webhooks.md, the failure switch)",
            ),
            "put": _op(
                "control_put_callback_failures",
                "Set (or switch off) a failure switch",
                _ok(
                    "The switch",
                    obj(
                        {
                            "switch": nullable(ref("ControlFailureSwitch")),
                            "api_key": nullable(string()),
                        },
                        required=("switch",),
                    ),
                ),
                _BAD,
                callbacks_disabled,
                parameters=_tenant("This tenant's switch (or body api_key)"),
                request_body=json_body(
                    obj(
                        {
                            "mode": enum(("off", *FAIL_MODES)),
                            "remaining": nullable(integer(minimum=1)),
                            "api_key": nullable(string(minLength=1)),
                            "event": nullable(string(minLength=1)),
                        },
                        required=("mode",),
                    )
                ),
                source_text="emulator (docs/webhooks.md, the failure switch)",
            ),
            "delete": _op(
                "control_delete_callback_failures",
                "Switch off (one key's) failure switch",
                _ok("Done", obj({"removed": boolean(), "api_key": nullable(string())})),
                _BAD,
                callbacks_disabled,
                parameters=_TENANT,
                source_text="emulator (docs/webhooks.md, the failure switch)",
            ),
        },
        "/_emulator/callbacks/flush": {
            "post": _op(
                "control_flush_callbacks",
                "Wait until no delivery is pending",
                _ok(
                    "Idle",
                    obj(
                        {
                            "idle": {"const": True},
                            "pending": {"const": 0},
                            "summary": ref("ControlDeliverySummary"),
                        }
                    ),
                ),
                _BAD,
                callbacks_disabled,
                _err(504, "`flush_timeout`: deliveries still pending"),
                parameters=[
                    query("timeout", number(minimum=0, maximum=600), "Seconds, default 30"),
                    *_TENANT,
                ],
                source_text="emulator (docs/webhooks.md, Delivery log and control endpoints)",
            )
        },
        "/_emulator/callbacks/{delivery_id}": {
            "parameters": [path_param("delivery_id", "From the log")],
            "get": _op(
                "control_get_callback",
                "One delivery with every attempt",
                _ok("The delivery", ref("ControlDelivery")),
                callbacks_disabled,
                _err(404, "`not_found`"),
                source_text="emulator (docs/webhooks.md, Delivery log and control endpoints)",
            ),
        },
        "/_emulator/callbacks/{delivery_id}/redeliver": {
            "parameters": [path_param("delivery_id", "From the log")],
            "post": _op(
                "control_redeliver_callback",
                "Send a delivery again (a new delivery)",
                _ok(
                    "Queued",
                    obj(
                        {
                            "id": string(),
                            "redelivery_of": string(),
                            "status": enum(DELIVERY_STATUSES),
                        }
                    ),
                    202,
                ),
                callbacks_disabled,
                _err(404, "`not_found`"),
                source_text="emulator (docs/webhooks.md, Delivery log and control endpoints)",
            ),
        },
        "/_emulator/asleep/users/{user_id}/profile": {
            "parameters": [path_param("user_id", "An Asleep user of this key")],
            "get": _op(
                "control_asleep_get_profile",
                "A user's effective sleeper profile",
                _ok("The profile", _profile_view()),
                _err(401, "`unauthorized`: no known x-api-key"),
                _err(404, "`not_found`"),
                parameters=_TENANT_HEADER,
                source_text="emulator (docs/asleep.md, Scenarios)",
            ),
            "put": _op(
                "control_asleep_put_profile",
                "Choose a user's sleeper profile (null: the seeded default)",
                _ok("The profile", _profile_view()),
                _err(400, "`invalid_profile`, `invalid_body`"),
                _err(401, "`unauthorized`: no known x-api-key"),
                _err(404, "`not_found`"),
                parameters=_TENANT_HEADER,
                request_body=json_body(obj({"profile": nullable(enum(PROFILES))})),
                source_text="emulator (docs/asleep.md, Scenarios)",
            ),
        },
        "/_emulator/asleep/users/{user_id}/nights": {
            "parameters": [path_param("user_id", "An Asleep user of this key")],
            "post": _op(
                "control_asleep_play_night",
                "Play a whole night for a user and queue its webhooks",
                _ok(
                    "The session made, and the deliveries queued in order",
                    obj(
                        {
                            "session_id": string(),
                            "user_id": string(),
                            "state": enum(("OPEN", "CLOSED", "COMPLETE")),
                            "version": enum(("V1", "V2", "V3")),
                            "cadence_minutes": integer(),
                            "profile": enum(PROFILES),
                            "epochs": integer(minimum=1),
                            "start_time": string(),
                            "end_time": string(),
                            "callback_url": string(),
                            "deliveries": array(
                                obj(
                                    {
                                        "id": string(),
                                        "event": string(),
                                        "seq_num": nullable(integer(minimum=0)),
                                        "inference_seq_num": nullable(integer(minimum=0)),
                                        "status": enum(DELIVERY_STATUSES),
                                    }
                                )
                            ),
                        },
                        required=("session_id", "user_id", "state", "deliveries"),
                    ),
                    201,
                ),
                _err(400, "`invalid_night`, `invalid_callback_url`, `invalid_body`"),
                _err(401, "`unauthorized`: no known x-api-key"),
                _err(404, "`not_found`: no such user"),
                _err(409, "`session_open`: the user has an OPEN session (policy conflict)"),
                parameters=_TENANT_HEADER,
                request_body=json_body(
                    obj(
                        {
                            "callback_url": string("absolute http(s) URL"),
                            "version": enum(("V1", "V2", "V3")),
                            "hours": number(exclusiveMinimum=0, maximum=24),
                            "start_time": string("ISO 8601 instant; default: ending now"),
                            "profile": enum(PROFILES),
                            "cadence": enum_int((5, 20, 40)),
                        },
                        required=("callback_url",),
                    )
                ),
                source_text="emulator (docs/webhooks.md, the synthetic night)",
            ),
        },
        "/_emulator/asleep/sessions/{session_id}/hypnogram": {
            "parameters": [path_param("session_id", "An Asleep session of this key")],
            "put": _op(
                "control_asleep_put_hypnogram",
                "Make an exact night the session's result",
                _ok(
                    "Injected",
                    obj(
                        {
                            "session_id": string(),
                            "epochs": integer(minimum=0),
                            "state": enum(("OPEN", "CLOSED", "COMPLETE")),
                            "end_time_from_hypnogram": boolean(),
                        }
                    ),
                ),
                _err(400, "`invalid_hypnogram`, `invalid_body`"),
                _err(401, "`unauthorized`: no known x-api-key"),
                _err(404, "`not_found`"),
                parameters=_TENANT_HEADER,
                request_body=json_body(
                    obj(
                        {
                            "sleep_stages": array(integer(minimum=-1, maximum=3), maxItems=5760),
                            "breath_stages": nullable(
                                array(integer(minimum=-1, maximum=1), maxItems=5760)
                            ),
                            "snoring_stages": nullable(
                                array(integer(minimum=-1, maximum=1), maxItems=5760)
                            ),
                        },
                        required=("sleep_stages",),
                    )
                ),
                source_text="emulator (docs/asleep.md, Scenarios)",
            ),
            "delete": _op(
                "control_asleep_delete_hypnogram",
                "Remove an injected night",
                (204, empty_response("Removed")),
                _err(401, "`unauthorized`: no known x-api-key"),
                _err(404, "`not_found`"),
                parameters=_TENANT_HEADER,
                source_text="emulator (docs/asleep.md, Scenarios)",
            ),
        },
        "/_emulator/asleep/sessions/{session_id}/complete": {
            "parameters": [path_param("session_id", "An Asleep session of this key")],
            "post": _op(
                "control_asleep_complete",
                "Finish a CLOSED session's analysis now",
                _ok(
                    "The session's state",
                    obj(
                        {
                            "session_id": string(),
                            "state": enum(("OPEN", "CLOSED", "COMPLETE")),
                        }
                    ),
                ),
                _err(401, "`unauthorized`: no known x-api-key"),
                _err(404, "`not_found`"),
                parameters=_TENANT_HEADER,
                source_text="emulator (docs/asleep.md, Scenarios)",
            ),
        },
        "/_emulator/kintsugi/sessions": {
            "get": _op(
                "control_kintsugi_sessions",
                "The tenant's Kintsugi sessions with their status",
                _ok(
                    "The sessions",
                    obj(
                        {
                            "total": integer(minimum=0),
                            "offset": integer(minimum=0),
                            "limit": nullable(integer(minimum=1)),
                            "sessions": array(
                                obj(
                                    {
                                        "session_id": string(),
                                        "user_id": string(),
                                        "status": enum(
                                            (
                                                "initiated",
                                                "no_consent",
                                                "processing",
                                                "success",
                                                "failed",
                                            )
                                        ),
                                        "created_time": string("ISO 8601, UTC"),
                                        "updated_time": string("ISO 8601, UTC"),
                                    },
                                    additional=True,
                                )
                            ),
                        }
                    ),
                ),
                _err(400, "`missing_api_key`, or a bad paging parameter"),
                parameters=[
                    *kintsugi_key,
                    query("limit", integer(minimum=1, maximum=500), "A page of N (omit: all)"),
                    query("offset", integer(minimum=0), "Skip N first"),
                    query("order", enum(("asc", "desc")), "asc: oldest first (default)"),
                    query("user_id", string(minLength=1), "Only this user's sessions"),
                ],
                source_text="emulator (docs/kintsugi.md, Forcing outcomes)",
            )
        },
        "/_emulator/kintsugi/outcomes": {
            "get": _op(
                "control_kintsugi_outcomes",
                "The forced outcomes of the tenant",
                _ok(
                    "The outcomes",
                    obj({"outcomes": array(obj({"key": string(), "outcome": outcome}))}),
                ),
                _err(400, "`missing_api_key`"),
                parameters=kintsugi_key,
                source_text="emulator (docs/kintsugi.md, Forcing outcomes)",
            )
        },
        **{
            f"/_emulator/kintsugi/outcomes/{plural}/{{ident}}": {
                "parameters": [path_param("ident", f"The {scope} id")],
                "put": _op(
                    f"control_kintsugi_put_{scope}_outcome",
                    f"Force the outcome of a {scope}'s predictions",
                    _ok("Stored", obj({"key": string(), "outcome": outcome})),
                    _err(400, "`missing_api_key`, `invalid_outcome`"),
                    *(
                        (
                            _err(404, "`not_found`: no such session"),
                            _err(409, "`conflict`: the session already has its prediction"),
                        )
                        if scope == "session"
                        else ()
                    ),
                    parameters=kintsugi_key,
                    request_body=json_body(outcome),
                    source_text="emulator (docs/kintsugi.md, Forcing outcomes)",
                ),
                "delete": _op(
                    f"control_kintsugi_delete_{scope}_outcome",
                    f"Clear a {scope}'s forced outcome",
                    _ok("Cleared", obj({"key": string(), "deleted": boolean()})),
                    _err(400, "`missing_api_key`"),
                    parameters=kintsugi_key,
                    source_text="emulator (docs/kintsugi.md, Forcing outcomes)",
                ),
            }
            for plural, scope in (("users", "user"), ("sessions", "session"))
        },
        "/_emulator/kintsugi/advance": {
            "post": _op(
                "control_kintsugi_advance",
                "Finish processing v2 predictions now",
                _ok("The finished session ids", obj({"advanced": array(string())})),
                parameters=_TENANT,
                request_body=json_body(obj({"session_id": string()}, required=()), required=False),
                source_text="emulator (docs/kintsugi.md, Forcing outcomes)",
            )
        },
        "/_emulator/openapi.json": {
            "get": _op(
                "control_openapi",
                "This document",
                _ok("The OpenAPI 3.1 document", _OPEN_OBJECT),
                source_text="emulator (docs/openapi.md)",
            )
        },
        "/_emulator/contract": {
            "get": _op(
                "control_contract",
                "Responses that violated this document (response validation)",
                _ok(
                    "The validator's record",
                    obj(
                        {
                            "enabled": boolean(),
                            "checked": integer(minimum=0),
                            "violation_count": integer(minimum=0),
                            "violations": array(ref("ControlContractViolation")),
                        }
                    ),
                ),
                source_text="emulator (docs/openapi.md, Response validation)",
            )
        },
        "/_emulator/demo/receiver": {
            "post": _op(
                "control_demo_receiver",
                "The demo's webhook receiver: 200, or the status asked for",
                *(
                    _ok("Received (or the status asked for)", obj({"received": boolean()}), code)
                    for code in (200, 400, 404, 410, 429, 500, 502, 503, 504)
                ),
                _BAD,
                parameters=[
                    query(
                        "status",
                        enum_int((200, 400, 404, 410, 429, 500, 502, 503, 504)),
                        "Answer with this status (default 200)",
                    )
                ],
                request_body=json_body(_ANY, required=False),
                source_text="emulator (docs/inspector.md)",
            )
        },
        "/_emulator/demo": {
            "post": _op(
                "control_load_demo",
                "Replace one key's state with the demo data set",
                _ok("Loaded", _demo_summary()),
                _BAD,
                parameters=_tenant("Load it for this key (default demo-key)"),
                source_text="emulator (docs/demo-data.md)",
            )
        },
    }


def enum_int(values: tuple[int, ...]) -> Schema:
    return {"type": "integer", "enum": list(values)}


def _profile_view() -> Schema:
    return obj(
        {
            "user_id": string(),
            "profile": enum(PROFILES),
            "source": enum(("control", "default")),
        }
    )


def _demo_summary() -> Schema:
    return obj(
        {
            "api_key": string(),
            "asleep": obj(
                {
                    "users": array(
                        obj(
                            {
                                "user_id": string(),
                                "profile": enum(PROFILES),
                                "timezone": string(),
                                "sessions": integer(minimum=0),
                                "first_night": string(format="date"),
                                "last_night": string(format="date"),
                            }
                        )
                    )
                }
            ),
            "kintsugi": obj(
                {
                    "users": array(
                        obj(
                            {
                                "user_id": string(),
                                "predictions": integer(minimum=0),
                                "with_feedback": integer(minimum=0),
                            }
                        )
                    )
                }
            ),
            "seconds": number(minimum=0),
        }
    )


def part() -> ApiPart:
    """This API's part of the OpenAPI document."""
    return ApiPart(TAG, "The emulator's own API (/_emulator)", paths, components)
