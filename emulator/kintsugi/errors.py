"""Kintsugi Voice errors, in the body shape of the API version addressed.

    EmulatorError
    └── KintsugiError          v1: {"error": code[, "context": {...}]}  (seed 002 tables)
                               v2: {"message": code[, "context": {...}]} (errors.MessagesResponse,
                                   kintsugi-api.md §4.8; the Python SDK reads `message`)

The server appears to be a Go service (swag-style schema names, kintsugi-api.md §7)
whose unknown-route handler answers 404 ``path_not_found`` (seed 002). Such routers send
a known path with the wrong method to the same handler, so a wrong method is also a 404
``path_not_found`` [INFERRED].
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from emulator.errors import EmulatorError


def version_of(path: str) -> int:
    return 1 if path.startswith("/v1") else 2


class KintsugiError(EmulatorError):
    status_code: ClassVar[int] = 400
    error_code: ClassVar[str] = "bad_request"

    def __init__(
        self,
        code: str | None = None,
        *,
        status_code: int | None = None,
        version: int = 2,
        context: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(code, headers=headers)
        if status_code is not None:
            self.status_code = status_code  # type: ignore[misc]
        if code is not None:
            self.error_code = code  # type: ignore[misc]
        self.version = version
        self.context = dict(context) if context else None

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {("error" if self.version == 1 else "message"): self.error_code}
        if self.context:
            body["context"] = self.context
        return body


class KintsugiShape:
    """Framework-level failures in Kintsugi's body shape."""

    def not_found(self, path: str) -> EmulatorError:
        return KintsugiError("path_not_found", status_code=404, version=version_of(path))

    def method_not_allowed(self, path: str, allowed: Sequence[str]) -> EmulatorError:
        return KintsugiError("path_not_found", status_code=404, version=version_of(path))

    def payload_too_large(self, path: str, limit: int) -> EmulatorError:
        # Undocumented; a JSON body keeps the SDK's error path working [INFERRED].
        return KintsugiError("request_entity_too_large", status_code=413, version=version_of(path))

    def request_timeout(self, path: str) -> EmulatorError:
        return KintsugiError("request_timeout", status_code=408, version=version_of(path))

    def internal_error(self, path: str) -> EmulatorError:
        return KintsugiError("internal_server_error", status_code=500, version=version_of(path))

    def custom(self, path: str, status: int, code: str | None) -> EmulatorError:
        return KintsugiError(
            code or "internal_server_error", status_code=status, version=version_of(path)
        )
