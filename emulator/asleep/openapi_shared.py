"""What every Asleep operation of the OpenAPI document shares.

The response envelopes (``success``: ``{"detail", "result"}``), the documented error
responses (``{"detail": "<text>"}``, FastAPI's 422 list), the headers and path
parameters, and ``op`` (an API-key operation under the Asleep tag). Used by
``openapi`` (Session API) and ``data_openapi`` (Data API).
"""

from __future__ import annotations

from typing import Any, Final

from emulator.core import openapi
from emulator.core.openapi import (
    Schema,
    header,
    json_response,
    obj,
    path_param,
    ref,
    string,
)

TAG: Final = "Asleep"


ERROR = ref("AsleepError")


def success(result: Schema, detail: str = "success") -> Schema:
    """Session API envelope ``{"detail": "success", "result"}``; Data API: "OK" (§1.3)."""
    return obj({"detail": {"const": detail}, "result": result})


def error(status: int, text: str) -> tuple[int, Schema]:
    return status, json_response(text, ERROR)


UNAUTHORIZED = error(401, "`Unauthorized` (API key), or `invalid user id` (x-user-id)")
FORBIDDEN = error(403, "The plan refuses: `Plan is expired`, `Rate limit exceeded`, ...")
KEY_ERRORS = (UNAUTHORIZED, FORBIDDEN)
BODY_LIMITS = (
    error(413, "`HTTP length exceeded 16777216 bytes` (v1.0 error table)"),
    error(408, "The body did not arrive in time (emulator)"),
)
FASTAPI_422 = (
    422,
    json_response("FastAPI request-validation list (INFERRED)", ref("AsleepValidationError")),
)
REASON_HEADER: Final = {
    "x-emulator-reason": {
        "description": "Emulator only: the precise reason a chunk was refused",
        "schema": {"type": "string"},
    }
}

# --------------------------------------------------------------------------- parameters

# The documented id format: anything else is 400 "The format of x-user-id is invalid".
USER_HEADER = header(
    "x-user-id",
    string(pattern=r"^G-[0-9]{14}-[A-Za-z]{20}$"),
    "The Asleep-issued user id",
    required=True,
)
TZ_HEADER = header(
    "timezone", string(), "IANA zone the result is rendered in (default UTC), e.g. Asia/Seoul"
)
SESSION_ID = path_param("session_id", "Sleep session id, e.g. 20250115025029_fvivn")
USER_ID = path_param("user_id", "Asleep user id, e.g. G-20250115025029-vLErWBfQNtnfvgDccFOQ")


def op(op_id: str, summary: str, source_text: str, *entries: Any, **extra: Any) -> Schema:
    return openapi.op(op_id, summary, source_text, *entries, tag=TAG, **extra)
