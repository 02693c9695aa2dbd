"""Small builders shared by the control API's operations (``spec``, ``spec_callbacks``)."""

from __future__ import annotations

from typing import Any, Final

from emulator.core.openapi import (
    Schema,
    control_error,
    control_operation,
    json_response,
    tenant_parameters,
)

SOURCE: Final = "emulator (docs/control-api.md)"


def ok(text: str, schema: Schema, status: int = 200) -> tuple[int, Schema]:
    return status, json_response(text, schema)


def op(op_id: str, summary: str, *entries: tuple[int, Schema], **kwargs: Any) -> Schema:
    """A control operation, sourced to docs/control-api.md unless told."""
    source_text = kwargs.pop("source_text", SOURCE)
    return control_operation(op_id, summary, *entries, source_text=source_text, **kwargs)


BAD: Final = control_error(400, "A field or parameter is wrong (the message says which)")
TENANT: Final = tenant_parameters("Only this tenant (omit: every tenant)")
