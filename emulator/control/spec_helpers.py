"""Small builders shared by the control API's operations (``spec``, ``spec_callbacks``)."""

from __future__ import annotations

from typing import Any, Final

from emulator.core.openapi import (
    CONTROL_ERROR,
    CONTROL_TAG,
    NO_SECURITY,
    Schema,
    json_response,
    operation,
    query,
    ref,
    responses,
    string,
)

SOURCE: Final = "emulator (docs/control-api.md)"


def err(status: int, text: str) -> tuple[int, Schema]:
    """A refusal: ``{"error", "message"}``."""
    return status, json_response(text, ref(CONTROL_ERROR))


def ok(text: str, schema: Schema, status: int = 200) -> tuple[int, Schema]:
    return status, json_response(text, schema)


def op(op_id: str, summary: str, *entries: tuple[int, Schema], **kwargs: Any) -> Schema:
    """A control operation (no API key), sourced to docs/control-api.md unless told."""
    return operation(
        op_id,
        summary,
        tag=CONTROL_TAG,
        security=NO_SECURITY,
        responses=responses(*entries),
        source_text=kwargs.pop("source_text", SOURCE),
        **kwargs,
    )


BAD: Final = err(400, "A field or parameter is wrong (the message says which)")
API_KEY_QUERY: Final = query("api_key", string(minLength=1), "Only this API key (omit: every key)")
