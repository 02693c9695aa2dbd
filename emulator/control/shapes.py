"""The control API's shared shapes: the components of its part of the OpenAPI document.

The emulator's own shapes (docs/control-api.md, docs/webhooks.md): clock, progression
policies, fault rules, journal entries, the snapshot, webhook deliveries and their log,
failure switches, scenarios, contract violations, and the control error body.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, get_args

from emulator.core.lifecycle import MODES
from emulator.core.openapi import (
    CONTROL_ERROR,
    Schema,
    array,
    boolean,
    enum,
    integer,
    nullable,
    number,
    obj,
    ref,
    string,
)
from emulator.core.outbox.records import STATUSES, FailMode

DELIVERY_STATUSES: Final = STATUSES
FAIL_MODES: Final = get_args(FailMode)
PROGRESSION_MODES: Final = MODES
ANY: Final[Schema] = {}
OPEN_OBJECT: Final[Schema] = {"type": "object"}


def components(sections: Mapping[str, Mapping[str, Schema]]) -> dict[str, Schema]:
    """The shared shapes; a tenant has each vendor's ``access`` properties (``sections``)."""
    access: dict[str, Schema] = {}
    for found in sections.values():
        access.update(found.get("access", {}).get("properties", {}))
    return {
        **_runtime_components(access),
        **_delivery_components(),
    }


def _runtime_components(access: dict[str, Schema]) -> dict[str, Schema]:
    return {
        CONTROL_ERROR: obj(
            {"error": string("machine-readable code"), "message": string("what is wrong")},
            description="Every refusal of the control API.",
        ),
        "ControlClock": obj(
            {"now": string("ISO 8601 instant"), "frozen": boolean()},
        ),
        "ControlPolicy": _policy(),
        "ControlProgressions": {
            "type": "object",
            "additionalProperties": ref("ControlPolicy"),
            "description": "One policy per vendor with asynchronous work (asleep, kintsugi).",
        },
        "ControlTenant": obj({"api_key": string(), **access}),
        "ControlFaultRule": _rule(),
        "ControlJournalEntry": obj(journal_entry_fields(nullable(string()))),
    }


def journal_entry_fields(api_key: Schema) -> dict[str, Schema]:
    """A journal entry's summary fields (``api_key``: how the key is described)."""
    return {
        "id": integer(minimum=1),
        "time": string(),
        "method": string(),
        "path": string(),
        "query": string(),
        "status": integer(minimum=0),
        "duration_ms": number(minimum=0),
        "api_key": api_key,
        "vendor": string(),
        "fault": nullable(string()),
    }


def _delivery_components() -> dict[str, Schema]:
    return {
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
                            "additionalProperties": OPEN_OBJECT,
                        },
                    },
                    "description": "api key -> table -> row key -> row",
                },
                "clock": ref("ControlClock"),
            },
            required=("format", "version", "seed", "tenants"),
        ),
        "ControlDeliveryAttempt": _attempt(),
        "ControlDelivery": _delivery(),
        "ControlDeliverySummary": _summary(),
        "ControlFailureSwitch": _switch(),
        "ControlScenario": obj(
            {
                "api": string("asleep, kintsugi or emulator"),
                "name": string(),
                "kind": enum(("magic-input", "control")),
                "description": string(),
                "example": ANY,
            }
        ),
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


def _policy() -> Schema:
    return obj(
        {
            "mode": enum(PROGRESSION_MODES),
            "polls": integer(minimum=0),
            "seconds": number(minimum=0),
        }
    )


def _rule() -> Schema:
    return obj(
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
            "body": ANY,
            "headers": nullable(OPEN_OBJECT),
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


def _attempt() -> Schema:
    return obj(
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


def _delivery() -> Schema:
    return obj(
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
            "body": ANY,
        },
        required=(
            "id", "api_key", "session_id", "user_id", "event", "url", "status", "created_at",
            "finished_at", "next_attempt_at", "redelivery_of", "note", "attempt_count", "attempts",
        ),
        description="headers and body are left out of brief listings (brief=true)",
    )  # fmt: skip


def _summary() -> Schema:
    return {
        "type": "object",
        "properties": {s: integer(minimum=0) for s in DELIVERY_STATUSES},
        "required": list(DELIVERY_STATUSES),
        "additionalProperties": False,
    }


def _switch() -> Schema:
    return obj(
        {
            "mode": enum(FAIL_MODES),
            "remaining": nullable(integer(minimum=1)),
            "api_key": nullable(string()),
            "event": nullable(string()),
        }
    )
