"""The control API's demo endpoints in the OpenAPI document (docs/demo-data.md).

The demo summary has a section per vendor, handed in by the vendors' parts
(``ApiPart.control``, role ``demo``); the demo's own webhook receiver answers the
status it is asked for (docs/inspector.md). Part of ``spec``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from emulator.control.spec_helpers import BAD as _BAD
from emulator.control.spec_helpers import ok as _ok
from emulator.control.spec_helpers import op as _op
from emulator.core.openapi import Schema, boolean, json_body, number, obj, query, string

_RECEIVER_STATUSES: Final = (200, 400, 404, 410, 429, 500, 502, 503, 504)


def demo_receiver() -> dict[str, Any]:
    return {
        "post": _op(
            "control_demo_receiver",
            "The demo's webhook receiver: 200, or the status asked for",
            *(
                _ok("Received (or the status asked for)", obj({"received": boolean()}), code)
                for code in _RECEIVER_STATUSES
            ),
            _BAD,
            parameters=[
                query(
                    "status",
                    {"type": "integer", "enum": list(_RECEIVER_STATUSES)},
                    "Answer with this status (default 200)",
                )
            ],
            request_body=json_body({}, required=False),
            source_text="emulator (docs/inspector.md)",
        )
    }


def demo_summary(sections: Mapping[str, Mapping[str, Schema]]) -> Schema:
    vendors = {name: found["demo"] for name, found in sections.items() if "demo" in found}
    return obj({"api_key": string(), **vendors, "seconds": number(minimum=0)})
