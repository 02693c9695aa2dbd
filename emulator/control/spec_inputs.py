"""What the control API's writes take, said as precisely as the endpoints check it.

schemathesis (``--checks all``) sends whatever a schema allows and expects it taken:
these schemas say what the endpoints accept, no more (docs/security.md, schemathesis
with every check). Used by ``spec`` and ``spec_faults``.
"""

from __future__ import annotations

from typing import Final

from emulator.control.clock import MAX_ADVANCE_SECONDS
from emulator.control.shapes import ANY
from emulator.core.openapi import (
    Schema,
    boolean,
    enum,
    integer,
    nullable,
    number,
    obj,
    string,
)

# An instant the virtual clock may be set to (1970 .. 8899; days 1-28 so that every
# instant the pattern allows exists), and the most one advance may move it: together
# they keep set + advance inside the clock's range (1970-01-01 .. 9000-01-01).
INSTANT: Final = (
    r"^(19[7-9][0-9]|[2-7][0-9]{3}|8[0-8][0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])"
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-](0[0-9]|1[0-3]):[0-5][0-9])$"
)
MAX_ADVANCE: Final = MAX_ADVANCE_SECONDS


def clock_change() -> Schema:
    """``POST /_emulator/clock``: at least one field; freeze and resume not both."""
    body = obj(
        {
            "freeze": boolean(),
            "resume": boolean(),
            "set": string("ISO 8601 instant, e.g. 2025-01-15T02:50:29Z", pattern=INSTANT),
            "advance": number("seconds, 0 or more", minimum=0, maximum=MAX_ADVANCE),
        },
        required=(),
        description="Applied in the order freeze, set, advance, resume.",
    )
    body["minProperties"] = 1
    body["not"] = {
        "properties": {"freeze": {"const": True}, "resume": {"const": True}},
        "required": ["freeze", "resume"],
    }
    return body


def snapshot_in() -> Schema:
    """``PUT /_emulator/state``: the seed may be left out (the current one stays); the
    clock, when given, is an instant the clock may take; other fields are ignored."""
    tenants: Schema = {
        "type": "object",
        "propertyNames": {"minLength": 1},
        "additionalProperties": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": {"type": "object"},
            },
        },
        "description": "api key -> table -> row key -> row",
    }
    clock = obj(
        {"now": string("ISO 8601 instant", pattern=INSTANT), "frozen": boolean()},
        required=("now",),
        additional=True,
    )
    return obj(
        {
            "format": {"const": "vendor-emulator-state"},
            "version": {"const": 1},
            "seed": integer(),
            "tenants": tenants,
            "clock": nullable(clock),
        },
        required=("format", "version", "tenants"),
        additional=True,
    )


_MS = {"type": "number", "minimum": 0, "maximum": 300_000}


def fault_rule_in() -> Schema:
    """A fault rule as PUT/POST /_emulator/faults take it: one shape per action
    (emulator.core.fault_rules.FaultRule.from_json; unknown fields are refused)."""
    distributions = _latency_distributions()
    common = _fault_common(distributions)
    answer = _fault_answer()
    action = {name: {"const": name} for name in ("latency", "error", "throttle", "drop")}
    return {
        "oneOf": [
            obj(
                {
                    **common,
                    "action": {"enum": ["latency", None]},  # null: the latency_ms says
                    "latency_ms": {"oneOf": [_MS, *distributions]},
                },
                required=("latency_ms",),
            ),
            obj(
                {
                    **common,
                    "action": action["error"],
                    "status": integer(minimum=400, maximum=599),
                    **answer,
                },
                required=("action", "status"),
            ),
            obj(
                {
                    **common,
                    "action": action["throttle"],
                    "status": {"enum": [429, 503]},
                    **answer,
                    "retry_after": nullable(integer(minimum=0)),
                },
                required=("action",),
            ),
            obj(
                {
                    **common,
                    "action": action["drop"],
                    "mode": enum(("close", "reset")),
                    "phase": enum(("request", "response")),
                },
                required=("action",),
            ),
        ]
    }


def _latency_distributions() -> list[Schema]:
    """``latency_ms`` as a distribution: one shape per kind."""
    return [
        obj(
            {"distribution": {"const": kind}, **dict.fromkeys(names, _MS), "cap": _MS},
            required=("distribution", *names),
        )
        for kind, names in (
            ("uniform", ("min", "max")),
            ("normal", ("mean", "stddev")),
            ("lognormal", ("median", "sigma")),
        )
    ]


def _fault_common(distributions: list[Schema]) -> dict[str, Schema]:
    """The fields every rule takes; null is "not set" wherever the rule has a default."""
    return {
        "id": nullable(string(pattern=r"^[A-Za-z0-9_.-]{1,64}$")),
        "method": nullable(enum(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))),
        "path": string("a glob, or re: and an RE2 regex", minLength=1),
        "api_key": nullable(string(minLength=1)),
        "latency_ms": {"oneOf": [_MS, *distributions, {"type": "null"}]},
        "probability": number(minimum=0, maximum=1),
        "times": nullable(integer(minimum=1)),
        "after": nullable(integer(minimum=0)),
    }


def _fault_answer() -> dict[str, Schema]:
    """The fields of a rule that answers (error, throttle)."""
    header_name = r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"
    return {
        "code": nullable(string(minLength=1)),
        "body": ANY,
        "headers": {
            "type": "object",
            "propertyNames": {"pattern": header_name},
            "additionalProperties": {"type": "string", "pattern": "^[\t\x20-\x7e\xa0-\xff]*$"},
        },
    }
