"""The control API's webhook-delivery endpoints (``/_emulator/callbacks...``) in the document.

The outbox's log, its failure switch and redelivery (docs/webhooks.md, Delivery log and
control endpoints). Part of ``spec``; split out to keep each module small.
"""

from __future__ import annotations

from typing import Any, Final

from emulator.control.callbacks import MAX_FLUSH_TIMEOUT
from emulator.control.params import FLAG_VALUES
from emulator.control.shapes import DELIVERY_STATUSES, FAIL_MODES
from emulator.control.spec_helpers import BAD as _BAD
from emulator.control.spec_helpers import TENANT as _TENANT
from emulator.control.spec_helpers import ok as _ok
from emulator.control.spec_helpers import op
from emulator.core.openapi import (
    Paths,
    Schema,
    array,
    boolean,
    enum,
    integer,
    item_path,
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
from emulator.core.openapi import control_error as _err

_DISABLED: Final = _err(503, "`callbacks_disabled`: callback delivery is not enabled")
_LOG_DOCS: Final = "emulator (docs/webhooks.md, Delivery log and control endpoints)"
_SWITCH_DOCS: Final = "emulator (docs/webhooks.md, the failure switch)"


def _op(
    op_id: str, summary: str, answer: tuple[int, Schema], *more: tuple[int, Schema], **kwargs: Any
) -> Schema:
    """A delivery-log operation. Each may answer 400 (a bad field or parameter) and, while
    delivery is off, 503; each reads the tenant unless told (docs/webhooks.md)."""
    docs = kwargs.pop("docs", _LOG_DOCS)
    kwargs.setdefault("parameters", _TENANT)
    return op(op_id, summary, answer, _BAD, _DISABLED, *more, source_text=docs, **kwargs)


def _log_paths() -> dict[str, dict[str, Any]]:
    return {
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
                parameters=[
                    *_TENANT,
                    query("session_id", string(minLength=1), "Only this session"),
                    query("user_id", string(minLength=1), "Only this user"),
                    query("event", string(minLength=1), "Only this event"),
                    query("status", enum(DELIVERY_STATUSES), "Only this status"),
                    query("limit", integer(minimum=0), "The newest N"),
                    query("offset", integer(minimum=0), "Skip the newest N first"),
                    query("brief", enum(FLAG_VALUES), "true: no headers and bodies"),
                ],
            ),
            "delete": _op(
                "control_clear_callbacks",
                "Forget finished deliveries",
                _ok("Cleared", obj({"cleared": integer(minimum=0)})),
            ),
        },
    }


def _switch_paths() -> dict[str, dict[str, Any]]:
    return {
        "/_emulator/callbacks/failures": {
            "get": _op(
                "control_get_callback_failures",
                "The failure switches in force",
                _ok("The switches", obj({"switches": array(ref("ControlFailureSwitch"))})),
                docs=_SWITCH_DOCS,
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
                parameters=tenant_parameters("This tenant's switch (or body api_key)"),
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
                docs=_SWITCH_DOCS,
            ),
            "delete": _op(
                "control_delete_callback_failures",
                "Switch off (one key's) failure switch",
                _ok("Done", obj({"removed": boolean(), "api_key": nullable(string())})),
                docs=_SWITCH_DOCS,
            ),
        },
    }


def _flush_paths() -> dict[str, dict[str, Any]]:
    return {
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
                _err(504, "`flush_timeout`: deliveries still pending"),
                parameters=[
                    query(
                        "timeout",
                        number(minimum=0, maximum=int(MAX_FLUSH_TIMEOUT)),
                        "Seconds, default 30",
                    ),
                    *_TENANT,
                ],
            )
        },
        "/_emulator/callbacks/{delivery_id}": item_path(
            "delivery_id",
            "From the log",
            get=_op(
                "control_get_callback",
                "One delivery with every attempt",
                _ok("The delivery", ref("ControlDelivery")),
                _err(404, "`not_found` (or not this tenant's)"),
            ),
        ),
    }


def _redeliver_paths() -> dict[str, dict[str, Any]]:
    return {
        "/_emulator/callbacks/{delivery_id}/redeliver": item_path(
            "delivery_id",
            "From the log",
            post=_op(
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
                _err(404, "`not_found` (or not this tenant's)"),
            ),
        ),
    }


def callback_paths() -> Paths:
    """Every ``/_emulator/callbacks`` path: the log, the failure switch, flush, redeliver."""
    return merge_paths(_log_paths, _switch_paths, _flush_paths, _redeliver_paths)
