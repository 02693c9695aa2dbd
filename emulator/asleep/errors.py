"""Asleep's errors: ``{"detail": "<message>"}`` with the documented wording.

    EmulatorError
    └── AsleepError                       {"detail": message}; subclasses fix status + text

The server looks FastAPI-like (asleep-api.md §1.3-§1.4), so framework-level errors use
FastAPI's own bodies: ``{"detail": "Not Found"}``, ``{"detail": "Method Not Allowed"}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from emulator.core.errors import EmulatorError, RequestError


class AsleepError(RequestError):
    # The documented text of a subclass's condition (``detail=`` in its class line).
    fixed_detail: ClassVar[str | None] = None

    def __init_subclass__(cls, *, status: int | None = None, detail: str | None = None) -> None:
        super().__init_subclass__(status=status)
        if detail is not None:
            cls.fixed_detail = detail

    def default_message(self) -> str:
        # By the status a raise gave (RequestError sets it first: a 503 without a
        # message once said "Bad Request").
        return self.fixed_detail or _DEFAULT_DETAIL.get(self.status_code, "Bad Request")

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


class Unauthorized(AsleepError, status=401, detail="Unauthorized"):
    """Missing or unknown ``x-api-key`` (asleep-api.md §1.4: 401 ``Unauthorized``)."""


class Forbidden(AsleepError, status=403):
    """Plan, rate or quota refusal; the detail is the tenant's ``asleep_denied`` (§1.4)."""


class InvalidUserIdHeader(AsleepError, status=401, detail="invalid user id"):
    """Missing/empty ``x-user-id`` (asleep-api.md §1.4 common 401 ``invalid user id``)."""


class MalformedUserIdHeader(AsleepError, status=400, detail="The format of x-user-id is invalid"):
    """Seed 001 §2.2 (newest docs): 400 ``The format of x-user-id is invalid``."""


class UserNotFound(AsleepError, status=404):
    """Unknown user; the wording is chosen per endpoint by the caller (§3.2-§3.6, §9.8)."""


class SessionNotFound(AsleepError, status=404):
    """Unknown session; the wording is chosen per endpoint by the caller."""


class InvalidTimezone(AsleepError, status=400, detail="The invalid timezone is provided"):
    """Seed 001 §2.2 and the v1.0 KR list page: 400 ``The invalid timezone is provided``."""


class MalformedSessionId(AsleepError, status=400):
    """Seed 001 §2.2: 400 ``The format of sleep session id {id} is not valid``."""

    def __init__(self, session_id: str) -> None:
        super().__init__(f"The format of sleep session id {session_id} is not valid")


class InvalidCallbackUrl(AsleepError, status=400, detail="Invalid callback url"):
    """Current iOS error table: 400 ``Invalid callback url`` (v1.0: ``Not valid callback_url``)."""


class InvalidStartTime(
    AsleepError, status=422, detail="Invalid session start time (YYYY-MM-DDTHH:mm:ssz)"
):
    """v1.0 error table, create session: 422 ``Invalid session start time (...)``."""


class InvalidParameter(AsleepError, status=422, detail="Invalid parameter"):
    """v1.0 error table, create session: 422 ``Invalid parameter``."""


class NotValidParameter(AsleepError, status=422, detail="Not valid parameter"):
    """v1.0 error table, upload: 422 ``Not valid parameter``."""


class InvalidEndTime(
    AsleepError, status=400, detail="[WARNING] Invalid session end time. (YYYY-MM-DDTHH:mm:ssz)"
):
    """v1.0 error table, close: 400 ``[WARNING] Invalid session end time. ...``.

    Only the prefix and the quoted format are known (asleep-api.md §3.5); the
    middle is INFERRED from the create-session wording.
    """


class PreviousSessionOpen(AsleepError, status=409, detail="Previous sleep session not yet closed"):
    """v1.0 error table, create: 409 ``Previous sleep session not yet closed``."""


class SessionTerminated(AsleepError, status=403, detail="Session already terminated"):
    """v1.0 error table, upload: 403 ``Session already terminated``."""


class SessionAlreadyEnded(AsleepError, status=403, detail="Sleep session has already ended"):
    """v1.0 error table, close: 403 ``Sleep session has already ended``."""


class BadAudio(AsleepError, status=400):
    """Upload: 400 with the audio validator's message (v1.0 error table)."""


class MelspectrogramToAudioSession(
    AsleepError,
    status=400,
    detail="MELSPECTROGRAM file cannot be uploaded. Only AUDIO file can be uploaded.",
):
    """v1.0 error table, upload to an AUDIO session: 400 with the documented text."""


class PeriodTooLong(AsleepError, status=400):
    """Average stats, [2ND]: 400 ``The period should be less than or equal to 100 days``."""

    def __init__(self, days: int) -> None:
        super().__init__(f"The period should be less than or equal to {days} days")


class PeriodReversed(
    AsleepError, status=400, detail="The start_date should be less than or equal to the end_date"
):
    """Average stats with end_date before start_date: 400 (INFERRED wording)."""


class ValidationFailed(AsleepError, status=422):
    """FastAPI's request-validation 422: ``{"detail": [{type, loc, msg, input, ...}]}``.

    The server is FastAPI-like (asleep-api.md §1.4 INFERRED); where no custom
    string is documented (user metadata, list and average-stats query parameters)
    the emulator answers with FastAPI's own list body, pydantic-v2 style.
    """

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("Validation Error")
        self.errors = errors

    def to_body(self) -> dict[str, Any]:
        return {"detail": self.errors}
