"""What the control clients raise.

* ``ControlAPIError`` - the control API answered with an error; it carries the
  status, the control error body (``{"error", "message"}``) and the request.
* ``WaitTimeout`` - ``wait_for`` gave up; it carries what it saw last.
* ``RequestNotFound`` - a failed ``assert_requested``: an ``AssertionError`` (pytest
  shows it as a test failure) whose message lists the nearest requests received.
"""

from __future__ import annotations

from typing import Any

from emulator.client.types import Delivery, JournalEntry


class ControlAPIError(Exception):
    """The control API refused a call (any status but 2xx)."""

    def __init__(self, method: str, url: str, status_code: int, body: Any) -> None:
        self.method = method
        self.url = url
        self.status_code = status_code
        self.body = body
        error = body.get("error") if isinstance(body, dict) else None
        message = body.get("message") if isinstance(body, dict) else None
        self.error: str | None = error if isinstance(error, str) else None
        self.message: str = message if isinstance(message, str) else str(body)[:500]
        super().__init__(f"{method} {url} -> {status_code} {self.error or 'error'}: {self.message}")


class WaitTimeout(TimeoutError):
    """No (or too few) matching deliveries within the timeout."""

    def __init__(self, message: str, seen: list[Delivery]) -> None:
        super().__init__(message)
        self.seen = seen


class RequestNotFound(AssertionError):
    """The journal does not hold the expected requests."""

    def __init__(self, message: str, received: list[JournalEntry]) -> None:
        super().__init__(message)
        self.received = received
