"""The error contract: one exception base, and how each API shapes its error bodies.

    EmulatorError                 status_code + to_body(); the app has one handler for it
    └── RequestError              400 unless a raise names another status and code
        ├── ControlError              the emulator's own API: {"error": code, "message": ...}
        ├── asleep.errors.AsleepError        {"detail": ...}
        └── kintsugi.errors.KintsugiError    {"error": ...} (v1) / {"message": ...} (v2)

Framework-level failures (unknown route, wrong method, body too large, a crash) are
not raised by vendor code, so each API also supplies an ``ErrorShape`` that turns them
into its own body. Nothing here imports Starlette.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Protocol


class EmulatorError(Exception):
    """Base of every error the emulator answers with on purpose."""

    status_code: ClassVar[int] = 500
    error_code: ClassVar[str] = "internal_error"
    message: str

    def __init__(self, message: str | None = None, *, headers: Mapping[str, str] | None = None):
        self.message = message if message is not None else self.default_message()
        self.headers = dict(headers or {})
        super().__init__(self.message)

    def default_message(self) -> str:
        return self.error_code

    def to_body(self) -> dict[str, Any]:
        return {"error": self.error_code, "message": self.message}


class ErrorShape(Protocol):
    """How one API renders the failures that happen outside its own code."""

    def not_found(self, path: str) -> EmulatorError: ...

    def method_not_allowed(self, path: str, allowed: Sequence[str]) -> EmulatorError: ...

    def payload_too_large(self, path: str, limit: int) -> EmulatorError: ...

    def request_timeout(self, path: str) -> EmulatorError: ...

    def internal_error(self, path: str) -> EmulatorError: ...

    def custom(self, path: str, status: int, code: str | None) -> EmulatorError:
        """An error chosen by a fault-injection rule, in this API's body shape."""
        ...


class RequestError(EmulatorError):
    """A refused request (400 by default) whose status and code one raise may override.

    The status is set before the message is made (a default message may depend on
    it), the code after (a message given as ``None`` is the class's code).
    """

    status_code: ClassVar[int] = 400
    error_code: ClassVar[str] = "bad_request"

    def __init_subclass__(cls, *, status: int | None = None, code: str | None = None) -> None:
        """``class Gone(RequestError, status=410, code="gone")`` fixes a subclass's two."""
        super().__init_subclass__()
        if status is not None:
            cls.status_code = status
        if code is not None:
            cls.error_code = code

    def __init__(
        self,
        message: str | None = None,
        *,
        status_code: int | None = None,
        error_code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ):
        if status_code is not None:
            self.status_code = status_code  # type: ignore[misc]
        super().__init__(message, headers=headers)
        if error_code is not None:
            self.error_code = error_code  # type: ignore[misc]


class ControlError(RequestError):
    """An error of the emulator's own control API."""


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    409: "conflict",
    413: "payload_too_large",
    422: "unprocessable_entity",
    429: "too_many_requests",
    500: "internal_error",
    503: "service_unavailable",
}


class ControlShape:
    """Error shape for the control API and for paths no vendor serves.

    ``served`` lists, for a 404, where each API lives (title and path prefixes); the
    app fills it from the vendors it serves, so this module names none of them.
    """

    def __init__(self, served: Sequence[tuple[str, Sequence[str]]] = ()) -> None:
        where = [f"{title} under {' and '.join(prefixes)}" for title, prefixes in served]
        self._where = ", ".join([*where, "the emulator's own API under /_emulator"])

    def not_found(self, path: str) -> EmulatorError:
        return ControlError(
            f"nothing is served at {path}: {self._where}",
            status_code=404,
            error_code="not_found",
        )

    def method_not_allowed(self, path: str, allowed: Sequence[str]) -> EmulatorError:
        return ControlError(
            f"{path} allows {', '.join(allowed)}",
            status_code=405,
            error_code="method_not_allowed",
            headers={"Allow": ", ".join(allowed)},
        )

    def payload_too_large(self, path: str, limit: int) -> EmulatorError:
        return ControlError(
            f"request body exceeds {limit} bytes", status_code=413, error_code="payload_too_large"
        )

    def request_timeout(self, path: str) -> EmulatorError:
        return ControlError(
            "request body not received in time", status_code=408, error_code="request_timeout"
        )

    def internal_error(self, path: str) -> EmulatorError:
        return ControlError(
            "internal error; see the emulator log", status_code=500, error_code="internal_error"
        )

    def custom(self, path: str, status: int, code: str | None) -> EmulatorError:
        code = code or _STATUS_CODES.get(status, "error")
        return ControlError(code, status_code=status, error_code=code)
