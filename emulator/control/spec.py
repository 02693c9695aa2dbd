"""The emulator's own API under ``/_emulator`` in the OpenAPI document.

Not a vendor API: the shapes are the emulator's, as docs/control-api.md,
docs/webhooks.md, docs/asleep.md and docs/kintsugi.md describe them. Errors are
``{"error": code, "message": text}``. Parts of the answers that are open-ended on
purpose (snapshot rows, a delivery's body, a scenario's example) are described as
plain objects or any JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from emulator.control import spec_browse
from emulator.control.params import FLAG_VALUES
from emulator.control.shapes import (
    OPEN_OBJECT as _OPEN_OBJECT,
)
from emulator.control.shapes import (
    PROGRESSION_MODES,
    components,
)
from emulator.control.spec_access import access_paths
from emulator.control.spec_callbacks import callback_paths
from emulator.control.spec_demo import demo_receiver, demo_summary
from emulator.control.spec_faults import fault_paths
from emulator.control.spec_helpers import BAD as _BAD
from emulator.control.spec_helpers import TENANT as _TENANT
from emulator.control.spec_helpers import ok as _ok
from emulator.control.spec_helpers import op as _op
from emulator.control.spec_inputs import clock_change, snapshot_in
from emulator.core.openapi import (
    CONTROL_TAG,
    ApiPart,
    Paths,
    Schema,
    array,
    boolean,
    enum,
    integer,
    json_body,
    merge_paths,
    nullable,
    number,
    obj,
    query,
    ref,
    string,
    tenant_parameters,
)

TAG: Final = CONTROL_TAG
Sections = dict[str, Mapping[str, Schema]]
"""Each vendor's sections of the shared answers, by vendor name (``ApiPart.control``)."""


def _health_paths() -> dict[str, dict[str, Any]]:
    return {
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
    }


def _journal_paths() -> dict[str, dict[str, Any]]:
    return {
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
                    query("faulted", enum(FLAG_VALUES), "true: only faulted requests"),
                    query("status", string(pattern="^[1-5xX][0-9xX]{2}$"), "404, or a class: 4xx"),
                    query("after", integer(minimum=0), "Only entries with a higher id"),
                    query("detail", enum(FLAG_VALUES), "true: headers and body summaries"),
                    query("limit", integer(minimum=0), "The newest N"),
                ],
            ),
            "delete": _op(
                "control_clear_requests",
                "Clear the journal (or one key's entries)",
                _ok("Cleared", obj({"cleared": integer(minimum=0)})),
                _BAD,
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
    }


def _tenant_paths() -> dict[str, dict[str, Any]]:
    return {
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
    }


def _state_paths() -> dict[str, dict[str, Any]]:
    return {
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
                request_body=json_body(snapshot_in()),
            ),
        },
    }


def _time_paths(vendors: Sequence[str]) -> dict[str, dict[str, Any]]:
    return {
        **_clock_paths(vendors),
        **_advance_paths(vendors),
    }


def _clock_paths(vendors: Sequence[str]) -> dict[str, dict[str, Any]]:
    clock_body = clock_change()
    policy_change = obj(
        {
            "mode": enum(PROGRESSION_MODES),
            "polls": integer(minimum=0),
            "seconds": number(minimum=0),
        },
        required=(),
    )
    return {
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
                        "properties": dict.fromkeys(vendors, policy_change),
                        "additionalProperties": False,
                        "minProperties": 1,
                    }
                ),
            ),
        },
    }


def _advance_paths(vendors: Sequence[str]) -> dict[str, dict[str, Any]]:
    return {
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
                    query("api", enum(tuple(vendors)), "Only this vendor"),
                    *_TENANT,
                    query("session_id", string(minLength=1), "Only this session"),
                ],
            )
        },
    }


def _misc_paths(sections: Sections) -> dict[str, dict[str, Any]]:
    return {
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
        "/_emulator/demo/receiver": demo_receiver(),
        "/_emulator/demo": {
            "post": _op(
                "control_load_demo",
                "Replace one key's state with the demo data set",
                _ok("Loaded", demo_summary(sections)),
                _BAD,
                parameters=tenant_parameters("Load it for this key (default demo-key)"),
                source_text="emulator (docs/demo-data.md)",
            )
        },
    }


def paths(sections: Sections) -> Paths:
    """Every ``/_emulator`` path, in the document's order."""
    return merge_paths(
        _health_paths,
        _journal_paths,
        _tenant_paths,
        _state_paths,
        lambda: _time_paths(list(sections)),
        fault_paths,
        callback_paths,
        lambda: _misc_paths(sections),
        spec_browse.paths,
        access_paths,
    )


def part(vendor_parts: Sequence[ApiPart] = ()) -> ApiPart:
    """This API's part of the document, for an app serving the vendors of ``vendor_parts``."""
    sections = {p.vendor: p.control() for p in vendor_parts if p.control is not None}
    return ApiPart(
        TAG,
        "The emulator's own API (/_emulator)",
        lambda: paths(sections),
        lambda: {**components(sections), **spec_browse.components()},
    )
