"""Asleep's errors: ``{"detail": "<message>"}`` with the documented wording.

    EmulatorError
    └── AsleepError                       {"detail": message}; subclasses fix status + text

The server looks FastAPI-like (asleep-api.md §1.3-§1.4), so framework-level errors use
FastAPI's own bodies: ``{"detail": "Not Found"}``, ``{"detail": "Method Not Allowed"}``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from emulator.core.errors import EmulatorError


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
        # The status first: the default message depends on it (a 503 without a
        # message said "Bad Request").
        if status_code is not None:
            self.status_code = status_code  # type: ignore[misc]
        super().__init__(message, headers=headers)

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


# --------------------------------------------------------------------------- raised by routes
# One subclass per documented condition, so the wording lives here once. Where the
# docs drift between generations (asleep-api.md §9.8) the newest documented wording
# of the endpoint wins; each line cites its source.


class Unauthorized(AsleepError):
    """Missing or unknown ``x-api-key`` (asleep-api.md §1.4: 401 ``Unauthorized``)."""

    status_code = 401

    def __init__(self) -> None:
        super().__init__("Unauthorized")


class Forbidden(AsleepError):
    """Plan, rate or quota refusal; the detail is the tenant's ``asleep_denied`` (§1.4)."""

    status_code = 403


class InvalidUserIdHeader(AsleepError):
    """Missing/empty ``x-user-id`` (asleep-api.md §1.4 common 401 ``invalid user id``)."""

    status_code = 401

    def __init__(self) -> None:
        super().__init__("invalid user id")


class MalformedUserIdHeader(AsleepError):
    """Seed 001 §2.2 (newest docs): 400 ``The format of x-user-id is invalid``."""

    status_code = 400

    def __init__(self) -> None:
        super().__init__("The format of x-user-id is invalid")


class UserNotFound(AsleepError):
    """Unknown user; the wording is chosen per endpoint by the caller (§3.2-§3.6, §9.8)."""

    status_code = 404


class SessionNotFound(AsleepError):
    """Unknown session; the wording is chosen per endpoint by the caller."""

    status_code = 404


class InvalidTimezone(AsleepError):
    """Seed 001 §2.2 and the v1.0 KR list page: 400 ``The invalid timezone is provided``."""

    status_code = 400

    def __init__(self) -> None:
        super().__init__("The invalid timezone is provided")


class MalformedSessionId(AsleepError):
    """Seed 001 §2.2: 400 ``The format of sleep session id {id} is not valid``."""

    status_code = 400

    def __init__(self, session_id: str) -> None:
        super().__init__(f"The format of sleep session id {session_id} is not valid")


class InvalidCallbackUrl(AsleepError):
    """Current iOS error table: 400 ``Invalid callback url`` (v1.0: ``Not valid callback_url``)."""

    status_code = 400

    def __init__(self) -> None:
        super().__init__("Invalid callback url")


class InvalidStartTime(AsleepError):
    """v1.0 error table, create session: 422 ``Invalid session start time (...)``."""

    status_code = 422

    def __init__(self) -> None:
        super().__init__("Invalid session start time (YYYY-MM-DDTHH:mm:ssz)")


class InvalidParameter(AsleepError):
    """v1.0 error table, create session: 422 ``Invalid parameter``."""

    status_code = 422

    def __init__(self) -> None:
        super().__init__("Invalid parameter")


class NotValidParameter(AsleepError):
    """v1.0 error table, upload: 422 ``Not valid parameter``."""

    status_code = 422

    def __init__(self, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__("Not valid parameter", headers=headers)


class InvalidEndTime(AsleepError):
    """v1.0 error table, close: 400 ``[WARNING] Invalid session end time. ...``.

    Only the prefix and the quoted format are known (asleep-api.md §3.5); the
    middle is INFERRED from the create-session wording.
    """

    status_code = 400

    def __init__(self) -> None:
        super().__init__("[WARNING] Invalid session end time. (YYYY-MM-DDTHH:mm:ssz)")


class PreviousSessionOpen(AsleepError):
    """v1.0 error table, create: 409 ``Previous sleep session not yet closed``."""

    status_code = 409

    def __init__(self) -> None:
        super().__init__("Previous sleep session not yet closed")


class SessionTerminated(AsleepError):
    """v1.0 error table, upload: 403 ``Session already terminated``."""

    status_code = 403

    def __init__(self) -> None:
        super().__init__("Session already terminated")


class SessionAlreadyEnded(AsleepError):
    """v1.0 error table, close: 403 ``Sleep session has already ended``."""

    status_code = 403

    def __init__(self) -> None:
        super().__init__("Sleep session has already ended")


class BadAudio(AsleepError):
    """Upload: 400 with the audio validator's message (v1.0 error table)."""

    status_code = 400


class MelspectrogramToAudioSession(AsleepError):
    """v1.0 error table, upload to an AUDIO session: 400 with the documented text."""

    status_code = 400

    def __init__(self, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(
            "MELSPECTROGRAM file cannot be uploaded. Only AUDIO file can be uploaded.",
            headers=headers,
        )


class PeriodTooLong(AsleepError):
    """Average stats, [2ND]: 400 ``The period should be less than or equal to 100 days``."""

    status_code = 400

    def __init__(self, days: int) -> None:
        super().__init__(f"The period should be less than or equal to {days} days")


class PeriodReversed(AsleepError):
    """Average stats with end_date before start_date: 400 (INFERRED wording)."""

    status_code = 400

    def __init__(self) -> None:
        super().__init__("The start_date should be less than or equal to the end_date")


class ValidationFailed(AsleepError):
    """FastAPI's request-validation 422: ``{"detail": [{type, loc, msg, input, ...}]}``.

    The server is FastAPI-like (asleep-api.md §1.4 INFERRED); where no custom
    string is documented (user metadata, list and average-stats query parameters)
    the emulator answers with FastAPI's own list body, pydantic-v2 style.
    """

    status_code = 422

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("Validation Error")
        self.errors = errors

    def to_body(self) -> dict[str, Any]:
        return {"detail": self.errors}
