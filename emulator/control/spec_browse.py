"""The read-only "browse" part of the control API in the OpenAPI document.

What a dashboard needs to look around without knowing ids: the overview of keys and
counts, and one journal entry in detail (``emulator.control.overview``,
``emulator.control.endpoints``). The vendors' browsing endpoints (a tenant's Asleep
users and nights, its Kintsugi sessions) are in the vendors' parts
(``emulator.asleep.browse_openapi``, ``emulator.kintsugi.control_openapi``). Merged
into the control part by ``emulator.control.spec``.
"""

from __future__ import annotations

from typing import Any, Final

from emulator.control.shapes import journal_entry_fields
from emulator.control.spec_helpers import ok, op
from emulator.core.openapi import (
    CONTROL_TAG,
    Schema,
    array,
    boolean,
    integer,
    item_path,
    nullable,
    obj,
    page_parameters,
    paged,
    ref,
    string,
)
from emulator.core.openapi import control_error as err

TAG: Final = CONTROL_TAG
SOURCE: Final = "emulator (docs/inspector.md, control API for browsing)"


def _op(op_id: str, summary: str, *entries: tuple[int, Schema], **kwargs: Any) -> Schema:
    return op(op_id, summary, *entries, source_text=SOURCE, **kwargs)


def _journal_detail() -> Schema:
    pairs = array(array(string(), minItems=2, maxItems=2))
    return obj(
        {
            **journal_entry_fields(nullable(string("masked: prefix…hash"))),
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
    }


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
    return paged(
        "tenants",
        tenant,
        version=string(),
        seed=integer(),
        clock=ref("ControlClock"),
        open=boolean(),
        vendors=array(obj({"name": string(), "title": string()})),
    )


def paths() -> dict[str, dict[str, Any]]:
    return {
        "/_emulator/overview": {
            "get": _op(
                "control_overview",
                "The clock, and every key that is configured or holds state, with counts",
                ok("The overview", _overview()),
                err(400, "A bad paging parameter"),
                parameters=page_parameters(1000),
            )
        },
        "/_emulator/requests/{entry_id}": item_path(
            "entry_id",
            "A journal entry id",
            get=_op(
                "control_get_request",
                "One journal entry with headers and body summaries",
                ok("The entry", ref("ControlJournalDetail")),
                err(404, "`not_found`: no such entry (or it fell off the ring)"),
            ),
        ),
    }
