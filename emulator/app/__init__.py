"""The composition root: ``create_app(settings)`` wires every part into one ASGI app.

Both vendors share one port and are told apart by path (Asleep: ``/ai/v1``,
``/data/v1..v3``; Kintsugi: ``/v1``, ``/v2``); the emulator's own API lives under
``/_emulator``. Every error leaves through ``render_error`` in the addressed API's
shape: never HTML, never a traceback (``emulator.app.errors``). The runtime is built
by ``emulator.app.runtime``; this module orders the middlewares and mounts the routes.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware

from emulator import asleep, control, inspector, kintsugi
from emulator.app.errors import CONTROL_SHAPE, ErrorPages, render_error
from emulator.app.runtime import build_runtime, listen_url
from emulator.control import access, contract, demo
from emulator.control import openapi as control_openapi
from emulator.core import lazy
from emulator.core.fault_middleware import FaultMiddleware
from emulator.core.journal import JournalMiddleware
from emulator.core.limits import BodyBudget, BodyLimitMiddleware, BodyPolicy
from emulator.core.routing import IndexedRouter
from emulator.core.runtime import Runtime, Vendor, attach
from emulator.core.shared.middleware import FreshnessMiddleware, TransactionMiddleware
from emulator.core.shared.store import SharedStore
from emulator.settings import Settings

# Control bodies (fault rules, injected hypnograms) are small; a state document has its
# own cap (Settings.state_max_bytes).
_CONTROL_MAX_BODY = 8 * 1024 * 1024
_STATE_PATH = "/_emulator/state"


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    vendors: tuple[Vendor, ...] = (
        asleep.vendor(settings.asleep),
        kintsugi.vendor(settings.kintsugi, settings.audio),
    )
    rt = build_runtime(settings, vendors)
    for vendor in vendors:
        vendor.install(rt)
    if settings.demo:
        demo.install(rt, base_url=listen_url(settings))
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
    errors = ErrorPages(rt)
    checker = contract.contract_for(document) if validate else None
    app = Starlette(
        middleware=_middleware(settings, rt, errors, guard, record, checker),
        exception_handlers=errors.handlers(),
    )
    # Set before the first request builds the middleware stack around it.
    # Vendor routes first (the paths never overlap). IndexedRouter already tries
    # only the routes sharing a request's first two path segments.
    routes = [route for vendor in vendors for route in vendor.routes]
    routes += control.routes(rt, document=document, record=record)
    routes += inspector.routes  # the web UI, /_emulator/ui/ (after the control API)
    app.router = IndexedRouter(routes, redirect_slashes=False, lifespan=_lifespan(rt, vendors))
    attach(app, rt)
    app.emulator_access = guard  # type: ignore[attr-defined]
    return app


def _middleware(
    settings: Settings,
    rt: Runtime,
    errors: ErrorPages,
    guard: access.ControlAccess,
    record: contract.Record,
    checker: contract.Contract | None,
) -> list[Middleware]:
    """The middlewares, outermost first; ``checker``: the contract check, if on."""
    shared = rt.store if isinstance(rt.store, SharedStore) else None
    stack: list[Middleware] = []
    if shared is not None:
        # With --state-url, first of all: catch up with what other replicas changed.
        stack.append(Middleware(FreshnessMiddleware, store=shared, unavailable=errors.unavailable))
    stack += [
        Middleware(JournalMiddleware, journal=rt.journal, clock=rt.clock.timestamp),
        # Before anything reads a control body: who may call is settled first.
        Middleware(access.ControlAccessMiddleware, access=guard),
        # Inside the journal, so the journal sees what it injected; outside every
        # middleware that wraps `receive`, so `drop` can find the connection.
        Middleware(
            FaultMiddleware,
            faults=rt.faults,
            seed=lambda: rt.store.seed,
            shape_for=errors.shape_for,
        ),
    ]
    if checker is not None:
        # Inside the faults: it checks what the emulator answered, not what was injected.
        stack.append(Middleware(contract.ContractMiddleware, record=record, checker=checker))
    stack.append(
        Middleware(
            BodyLimitMiddleware,
            limit_for=_limit_for(settings, rt),
            render=lambda scope, exc: render_error(exc),
            body_timeout=settings.body_timeout_seconds,
            body_deadline=settings.body_deadline_seconds,
            budget=BodyBudget(settings.max_inflight_body_bytes),
        )
    )
    if shared is not None:
        # With --state-url, innermost: each request is a transaction, run again on
        # a conflict (only the router runs again; nothing outside sees it twice).
        stack.append(
            Middleware(TransactionMiddleware, store=shared, unavailable=errors.unavailable)
        )
    return stack


def _limit_for(settings: Settings, rt: Runtime) -> Callable[[str], BodyPolicy]:
    """How large a body each path takes, and whose shape a refusal is in."""

    def limit_for(path: str) -> BodyPolicy:
        vendor = rt.vendor_for(path)
        if vendor is not None:
            return BodyPolicy(vendor.max_body_bytes, vendor.errors)
        if path == _STATE_PATH:
            return BodyPolicy(settings.state_max_bytes, CONTROL_SHAPE)
        return BodyPolicy(_CONTROL_MAX_BODY, CONTROL_SHAPE)

    return limit_for


def _lifespan(rt: Runtime, vendors: tuple[Vendor, ...]) -> Callable[[Starlette], Any]:
    """Start the services and hooks, warm the heavy libraries; stop and close after."""

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

    return lifespan
