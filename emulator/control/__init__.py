"""The control plane: every route under ``/_emulator/``, and the OpenAPI document.

``routes(rt, ...)`` assembles them: the emulator's own endpoints (``endpoints``:
health, reset, journal, scenarios, tenants; ``state``: snapshots; ``clock``: clock,
progression, advance; ``faults``; ``callbacks``: the outbox's log and switches;
``openapi``; ``contract``; ``demo``; ``overview``: the keys holding state and their
counts; ``login``: the browser's session) and
each vendor's control routes under ``/_emulator/<vendor>/``. Nothing here imports a
vendor: vendors arrive through the runtime's ``Vendor`` objects. Who may call any of
them is ``access`` (a middleware in front of them all).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from starlette.routing import BaseRoute, Mount, Route

from emulator.control import (
    callbacks,
    clock,
    contract,
    demo,
    endpoints,
    faults,
    login,
    openapi,
    overview,
    state,
)
from emulator.core.runtime import Runtime

PREFIX = "/_emulator"


def routes(rt: Runtime, *, document: Mapping[str, Any], record: contract.Record) -> list[BaseRoute]:
    """Every control route of an app, as full paths."""
    own = [
        *endpoints.routes,
        *clock.routes,
        *faults.routes,
        *callbacks.routes,
        *openapi.routes(document),
        *contract.routes(record),
        *demo.routes,
        *state.routes,
        *overview.routes,
        *login.routes,
    ]
    found = prefixed(PREFIX, own)
    for vendor in rt.vendors:
        found.extend(prefixed(f"{PREFIX}/{vendor.name}", vendor.control_routes))
    return found


def prefixed(prefix: str, routes: Sequence[BaseRoute]) -> list[BaseRoute]:
    """The routes under ``prefix`` as full-path routes, not a ``Mount``: a Mount's
    ``{path:path}`` does not match a newline, so an id holding one (a Kintsugi user
    id may) got the router's 404 instead of the endpoint's answer (found by
    schemathesis); a route's own ``{param}`` matches it."""
    found: list[BaseRoute] = []
    for route in routes:
        if isinstance(route, Route):
            methods = sorted(m for m in route.methods or () if m != "HEAD")
            found.append(Route(prefix + route.path, route.endpoint, methods=methods))
        else:
            found.append(Mount(prefix, routes=[route]))
    return found
