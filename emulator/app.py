"""The composition root: ``create_app(settings)`` wires every part into one ASGI app.

Both vendors share one port and are told apart by path (Asleep: ``/ai/v1``,
``/data/v1..v3``; Kintsugi: ``/v1``, ``/v2``); the emulator's own API lives under
``/_emulator``. Every error leaves through ``render_error`` in the addressed API's
shape: never HTML, never a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from emulator import asleep, control, inspector, kintsugi
from emulator.control import access, contract, demo
from emulator.control import openapi as control_openapi
from emulator.control.endpoints import CLOCK_MAX, CLOCK_MIN
from emulator.core import lazy
from emulator.core.backend import BackendError
from emulator.core.clock import Clock, parse_instant
from emulator.core.errors import ControlError, ControlShape, EmulatorError, ErrorShape
from emulator.core.fault_middleware import DroppedConnection, FaultMiddleware
from emulator.core.journal import Journal, JournalMiddleware
from emulator.core.limits import BodyBudget, BodyLimitMiddleware, BodyPolicy
from emulator.core.outbox import Outbox
from emulator.core.routing import IndexedRouter
from emulator.core.runtime import Runtime, Vendor, attach, vendor_for
from emulator.core.shared.middleware import FreshnessMiddleware, TransactionMiddleware
from emulator.core.shared.store import SharedStore
from emulator.core.sqlite import SqliteBackend
from emulator.core.store import Store, TenantLimitReached
from emulator.core.tenants import Tenants
from emulator.settings import Settings

log = logging.getLogger("emulator")

_CONTROL_SHAPE = ControlShape()
# Control bodies (fault rules, injected hypnograms) are small; a state document has its
# own cap (Settings.state_max_bytes).
_CONTROL_MAX_BODY = 8 * 1024 * 1024
_STATE_PATH = "/_emulator/state"
BODY_TIMEOUT_SECONDS = 30.0  # the default of Settings.body_timeout_seconds


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    vendors: tuple[Vendor, ...] = (
        asleep.vendor(settings.asleep),
        kintsugi.vendor(settings.kintsugi, settings.audio),
    )
    rt = _runtime(settings, vendors)
    for vendor in vendors:
        vendor.install(rt)
    if settings.demo:
        demo.install(rt, base_url=_listen_url(settings))
    # The environment variable counts here too (not only through Settings.from_env),
    # so a test suite can switch validation on for every app it builds.
    validate = settings.validate_responses or contract.env_enabled(os.environ)
    if validate:
        contract.require_validator()
    guard = access.ControlAccess(settings.control_token, rt.tenants, [v.name for v in vendors])
    document = control_openapi.for_vendors(
        vendors,
        guarded=guard.guarded,
        tenant_may=None if rt.tenants.open else guard.tenant_may,
    )
    record = contract.Record()
    record.enabled = validate

    def shape_for(path: str) -> ErrorShape:
        vendor = rt.vendor_for(path)
        return vendor.errors if vendor is not None else _CONTROL_SHAPE

    def limit_for(path: str) -> BodyPolicy:
        vendor = rt.vendor_for(path)
        if vendor is not None:
            return BodyPolicy(vendor.max_body_bytes, vendor.errors)
        if path == _STATE_PATH:
            return BodyPolicy(settings.state_max_bytes, _CONTROL_SHAPE)
        return BodyPolicy(_CONTROL_MAX_BODY, _CONTROL_SHAPE)

    async def on_emulator_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, EmulatorError)
        return render_error(exc)

    async def on_http_exception(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        path = request.url.path
        shape = shape_for(path)
        if exc.status_code == 404:
            return render_error(shape.not_found(path))
        if exc.status_code == 405:
            allowed = (exc.headers or {}).get("Allow", "")
            methods = [m.strip() for m in allowed.split(",") if m.strip()]
            return render_error(shape.method_not_allowed(path, methods))
        return render_error(shape.custom(path, exc.status_code, None))

    async def on_backend_error(request: Request, exc: Exception) -> Response:
        """A write storage refused (disk full): memory goes back to what is stored,
        and the client hears 503 (it may retry) in its API's shape."""
        assert isinstance(exc, BackendError)
        log.error("%s %s: %s", request.method, request.url.path, exc)
        rt.store.reload(exc.tenant)
        path = request.url.path
        error = shape_for(path).custom(path, 503, None)
        if rt.vendor_for(path) is None:
            error = ControlError(
                f"{exc}; nothing was changed", status_code=503, error_code="service_unavailable"
            )
        error.headers["Retry-After"] = "5"
        return render_error(error)

    async def on_tenant_limit(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, TenantLimitReached)
        return unavailable(request.url.path, str(exc))

    def unavailable(path: str, why: str) -> Response:
        """503 in the addressed API's shape: the tenant cap, or the shared store is down."""
        log.warning("503 for %s: %s", path, why)
        error = shape_for(path).custom(path, 503, None)
        error.message = why
        return render_error(error, {"Retry-After": "1"})

    async def on_crash(request: Request, exc: Exception) -> Response:
        path = request.url.path
        if isinstance(exc, DroppedConnection):
            # An injected drop on an in-process transport: expected, not a crash.
            log.info("%s %s: %s", request.method, path, exc)
            return render_error(shape_for(path).internal_error(path))
        log.exception("unhandled error in %s %s", request.method, path, exc_info=exc)
        return render_error(shape_for(path).internal_error(path))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        for service in rt.services:
            await service.start()
        for hook in rt.on_startup:
            await hook()
        # Heavy libraries load lazily (emulator.core.lazy); finish loading them shortly after
        # start-up so neither the first health check nor the first upload waits for them.
        heavy = sorted({name for vendor in vendors for name in vendor.warm})
        warm_up = asyncio.get_running_loop().call_later(0.5, lazy.warm_up, heavy)
        try:
            yield
        finally:
            warm_up.cancel()
            for service in reversed(rt.services):
                await service.stop()
            rt.store.backend.close()

    shared = rt.store if isinstance(rt.store, SharedStore) else None
    app = Starlette(
        middleware=[
            # With --state-url, first of all: catch up with what other replicas changed.
            *(
                [Middleware(FreshnessMiddleware, store=shared, unavailable=unavailable)]
                if shared is not None
                else []
            ),
            Middleware(
                JournalMiddleware,
                journal=rt.journal,
                clock=rt.clock.timestamp,
            ),
            # Before anything reads a control body: who may call is settled first.
            Middleware(access.ControlAccessMiddleware, access=guard),
            # Inside the journal, so the journal sees what it injected; outside every
            # middleware that wraps `receive`, so `drop` can find the connection.
            Middleware(
                FaultMiddleware,
                faults=rt.faults,
                seed=lambda: rt.store.seed,
                shape_for=shape_for,
            ),
            # Inside the faults: it checks what the emulator answered, not what was injected.
            *(
                [
                    Middleware(
                        contract.ContractMiddleware,
                        record=record,
                        checker=contract.contract_for(document),
                    )
                ]
                if validate
                else []
            ),
            Middleware(
                BodyLimitMiddleware,
                limit_for=limit_for,
                render=lambda scope, exc: render_error(exc),
                body_timeout=settings.body_timeout_seconds,
                body_deadline=settings.body_deadline_seconds,
                budget=BodyBudget(settings.max_inflight_body_bytes),
            ),
            # With --state-url, innermost: each request is a transaction, run again on
            # a conflict (only the router runs again; nothing outside sees it twice).
            *(
                [Middleware(TransactionMiddleware, store=shared, unavailable=unavailable)]
                if shared is not None
                else []
            ),
        ],
        exception_handlers={
            EmulatorError: on_emulator_error,
            HTTPException: on_http_exception,
            BackendError: on_backend_error,
            TenantLimitReached: on_tenant_limit,
            Exception: on_crash,
        },
    )
    # Set before the first request builds the middleware stack around it.
    # Vendor routes first (the paths never overlap). IndexedRouter already tries
    # only the routes sharing a request's first two path segments.
    routes = [route for vendor in vendors for route in vendor.routes]
    routes += control.routes(rt, document=document, record=record)
    routes += inspector.routes  # the web UI, /_emulator/ui/ (after the control API)
    app.router = IndexedRouter(routes, redirect_slashes=False, lifespan=lifespan)
    attach(app, rt)
    app.emulator_access = guard  # type: ignore[attr-defined]
    return app


def _listen_url(settings: Settings) -> str:
    """Where the app is reached on this machine (the demo's webhooks name it)."""
    host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(settings.host, settings.host)
    return f"http://{f'[{host}]' if ':' in host else host}:{settings.port}"


def _runtime(settings: Settings, vendors: tuple[Vendor, ...]) -> Runtime:
    """The runtime of one app: clock, store (and its backend), tenants, journal, outbox."""
    start = _clock_start(settings)
    clock = Clock(start, frozen=settings.clock_frozen)
    sections = [vendor.access for vendor in vendors]
    tenants = Tenants.from_file(settings.config, sections) if settings.config else Tenants(sections)
    if settings.max_tenants < 0:
        raise ValueError("max_tenants must be 0 (no limit) or more")
    if settings.state_url:
        if settings.state_file:
            raise ValueError("--state-file and --state-url exclude each other; choose one")
        return _shared_runtime(settings, vendors, clock, tenants, start)
    backend = SqliteBackend(settings.state_file) if settings.state_file else None
    store = Store(backend, seed=settings.seed, max_tenants=settings.max_tenants)
    rt = Runtime(
        clock=clock,
        store=store,
        tenants=tenants,
        journal=Journal(settings.journal_size, classify=_classifier(vendors)),
        outbox=Outbox(settings.webhooks, clock=clock, seed=lambda: store.seed),
        vendors=vendors,
        clock_start=start,
        clock_frozen=settings.clock_frozen,
    )
    if backend is not None:
        # The state file is the world: its seed and clock win over the settings, or
        # ids and timestamps made after a restart would not fit the ones before it.
        if store.seed != settings.seed:
            log.warning(
                "state file %s was made with seed %d; using it, not %d",
                settings.state_file,
                store.seed,
                settings.seed,
            )
        if rt.restore_saved_clock():
            log.info("clock restored from %s: %s", settings.state_file, clock.now())
    return rt


def _shared_runtime(
    settings: Settings,
    vendors: tuple[Vendor, ...],
    clock: Clock,
    tenants: Tenants,
    start: datetime | None,
) -> Runtime:
    """A replica's runtime: store, journal, faults and outbox on the shared Redis world."""
    from emulator.core.outbox.shared import SharedOutbox
    from emulator.core.shared.db import SharedDB
    from emulator.core.shared.faults import SharedFaults
    from emulator.core.shared.journal import SharedJournal
    from emulator.core.shared.runtime import SharedRuntime

    assert settings.state_url is not None
    db = SharedDB.connect(settings.state_url)
    store = SharedStore(db, seed=settings.seed, max_tenants=settings.max_tenants)
    rt = SharedRuntime(
        clock=clock,
        store=store,
        tenants=tenants,
        journal=SharedJournal(db, settings.journal_size, classify=_classifier(vendors)),
        outbox=SharedOutbox(db, settings.webhooks, clock=clock, seed=lambda: store.seed),
        vendors=vendors,
        clock_start=start,
        clock_frozen=settings.clock_frozen,
        faults=SharedFaults(db),
    )
    if store.seed != settings.seed:
        log.warning(
            "the shared world at %s was made with seed %d; using it, not %d",
            db.where,
            store.seed,
            settings.seed,
        )
    if rt.restore_saved_clock():
        log.info("clock taken from the shared world at %s: %s", db.where, clock.now())
    return rt


def _clock_start(settings: Settings) -> datetime | None:
    if not settings.clock_start:
        return None
    try:
        start = parse_instant(settings.clock_start)
    except ValueError:
        raise ValueError(
            f"clock start {settings.clock_start!r} is not an ISO 8601 instant "
            "(e.g. 2025-01-15T02:50:29Z)"
        ) from None
    if not CLOCK_MIN <= start.timestamp() < CLOCK_MAX:
        raise ValueError(
            f"clock start {settings.clock_start!r} is outside 1970-01-01 .. 9000-01-01 (UTC)"
        )
    return start


def render_error(exc: EmulatorError, headers: dict[str, str] | None = None) -> Response:
    merged = {**exc.headers, **(headers or {})}
    return JSONResponse(exc.to_body(), status_code=exc.status_code, headers=merged or None)


def _classifier(vendors: Sequence[Vendor]) -> Callable[[str], str]:
    def classify(path: str) -> str:
        vendor = vendor_for(vendors, path)
        return vendor.name if vendor is not None else "none"

    return classify
