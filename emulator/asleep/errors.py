"""Asleep's errors: ``{"detail": "<message>"}`` with the documented wording.

    EmulatorError
    └── AsleepError                       {"detail": message}; subclasses fix status + text

The server looks FastAPI-like (asleep-api.md §1.3-§1.4), so framework-level errors use
FastAPI's own bodies: ``{"detail": "Not Found"}``, ``{"detail": "Method Not Allowed"}``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from emulator.errors import EmulatorError


class AsleepError(EmulatorError):
    status_code: ClassVar[int] = 400
    error_code: ClassVar[str] = "bad_request"

    def __init__(
        self,
        message: str | None = None,
        *,
        status_code: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message, headers=headers)
        if status_code is not None:
            self.status_code = status_code  # type: ignore[misc]

    def default_message(self) -> str:
        return _DEFAULT_DETAIL.get(self.status_code, "Bad Request")

    def to_body(self) -> dict[str, Any]:
        return {"detail": self.message}


_DEFAULT_DETAIL = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    409: "Conflict",
    413: "Request Entity Too Large",
    422: "Validation Error",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class AsleepShape:
    """Framework-level failures in Asleep's body shape."""

    def not_found(self, path: str) -> EmulatorError:
        return AsleepError("Not Found", status_code=404)

    def method_not_allowed(self, path: str, allowed: Sequence[str]) -> EmulatorError:
        return AsleepError(
            "Method Not Allowed", status_code=405, headers={"Allow": ", ".join(allowed)}
        )

    def payload_too_large(self, path: str, limit: int) -> EmulatorError:
        # v1.0 ios-error-codes: "413 Request Entity Too Large - HTTP length exceeded 16777216 bytes"
        return AsleepError(f"HTTP length exceeded {limit} bytes", status_code=413)

    def request_timeout(self, path: str) -> EmulatorError:
        return AsleepError("Request Timeout", status_code=408)

    def internal_error(self, path: str) -> EmulatorError:
        return AsleepError("Internal Server Error", status_code=500)

    def custom(self, path: str, status: int, code: str | None) -> EmulatorError:
        return AsleepError(code, status_code=status)
