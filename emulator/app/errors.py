"""How the app answers errors: every one in the addressed API's shape (a vendor's, or the
control API's), never HTML, never a traceback (``render_error``).

``ErrorPages`` holds the app's exception handlers; it also says which shape a path's
errors take (``shape_for``), which the fault and body-limit middlewares use too.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ExceptionHandler

from emulator.core.backend import BackendError
from emulator.core.errors import ControlError, ControlShape, EmulatorError, ErrorShape
from emulator.core.fault_middleware import DroppedConnection
from emulator.core.runtime import Runtime
from emulator.core.store import TenantLimitReached

log = logging.getLogger("emulator")

CONTROL_SHAPE = ControlShape()


def render_error(exc: EmulatorError, headers: dict[str, str] | None = None) -> Response:
    merged = {**exc.headers, **(headers or {})}
    return JSONResponse(exc.to_body(), status_code=exc.status_code, headers=merged or None)


class ErrorPages:
    """The exception handlers of one app (its runtime says which vendor a path is)."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        # A 404 outside every API says where each one lives.
        self.control_shape = ControlShape([(v.title, v.prefixes) for v in rt.vendors])

    def handlers(self) -> Mapping[Any, ExceptionHandler]:
        return {
            EmulatorError: self.on_emulator_error,
            HTTPException: self.on_http_exception,
            BackendError: self.on_backend_error,
            TenantLimitReached: self.on_tenant_limit,
            Exception: self.on_crash,
        }

    def shape_for(self, path: str) -> ErrorShape:
        vendor = self.rt.vendor_for(path)
        return vendor.errors if vendor is not None else self.control_shape

    def unavailable(self, path: str, why: str) -> Response:
        """503 in the addressed API's shape: the tenant cap, or the shared store is down."""
        log.warning("503 for %s: %s", path, why)
        error = self.shape_for(path).custom(path, 503, None)
        error.message = why
        return render_error(error, {"Retry-After": "1"})

    async def on_emulator_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, EmulatorError)
        return render_error(exc)

    async def on_http_exception(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        path = request.url.path
        shape = self.shape_for(path)
        if exc.status_code == 404:
            return render_error(shape.not_found(path))
        if exc.status_code == 405:
            allowed = (exc.headers or {}).get("Allow", "")
            methods = [m.strip() for m in allowed.split(",") if m.strip()]
            return render_error(shape.method_not_allowed(path, methods))
        return render_error(shape.custom(path, exc.status_code, None))

    async def on_backend_error(self, request: Request, exc: Exception) -> Response:
        """A write storage refused (disk full): memory goes back to what is stored,
        and the client hears 503 (it may retry) in its API's shape."""
        assert isinstance(exc, BackendError)
        log.error("%s %s: %s", request.method, request.url.path, exc)
        self.rt.store.reload(exc.tenant)
        path = request.url.path
        error = self.shape_for(path).custom(path, 503, None)
        if self.rt.vendor_for(path) is None:
            error = ControlError(
                f"{exc}; nothing was changed", status_code=503, error_code="service_unavailable"
            )
        error.headers["Retry-After"] = "5"
        return render_error(error)

    async def on_tenant_limit(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, TenantLimitReached)
        return self.unavailable(request.url.path, str(exc))

    async def on_crash(self, request: Request, exc: Exception) -> Response:
        path = request.url.path
        if isinstance(exc, DroppedConnection):
            # An injected drop on an in-process transport: expected, not a crash.
            log.info("%s %s: %s", request.method, path, exc)
            return render_error(self.shape_for(path).internal_error(path))
        log.exception("unhandled error in %s %s", request.method, path, exc_info=exc)
        return render_error(self.shape_for(path).internal_error(path))
