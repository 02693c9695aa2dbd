"""Request dispatch: hand a request only to the routes that could match its path.

Starlette's ``Router`` tries every route in order, a regex match each. The app has
about 90 routes (both vendors and the control API), so a request for a route near
the end paid for ~10-90 failed matches; in the benchmark's ``GET
/data/v3/sessions/{id}`` case that was the largest single cost of the app itself.

``IndexedRouter`` keys each request by the first two segments of its path
(``/data/v3``, ``/v1/predict``, ``/_emulator/clock``) and sends it to a sub-router
holding, in the original order, only the routes whose literal prefix (the path up
to its first ``{param}``) is compatible with that key. A route left out cannot match:
its regex starts with its literal prefix, which the path does not start with. So
the first full match and the 404 are what the full list would have given.

A 405 names every method the path allows (``Allow``): Starlette's router answers with
the methods of the first route whose path matched, so ``PUT /_emulator/state`` next
to ``GET /_emulator/state`` went missing from it. A literal path is its own resource:
``GET /_emulator/callbacks/flush`` is a 405, not a look-up of delivery ``flush``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match, Mount, Route, Router
from starlette.types import Receive, Scope, Send

# Distinct keys kept; a client sending endless made-up paths must not grow memory.
MAX_KEYS = 512

# A module's routes as a table: path -> {method: endpoint}, in the order they are tried.
RouteTable = Mapping[str, Mapping[str, Callable[..., Any]]]


def route_table(table: RouteTable) -> list[BaseRoute]:
    """One ``Route`` a (path, method) of ``table``, in the table's order."""
    return [
        Route(path, endpoint, methods=[method])
        for path, endpoints in table.items()
        for method, endpoint in endpoints.items()
    ]


def route_path(scope: Scope) -> str:
    """The path routes match against: ``scope["path"]`` without the ``root_path`` an app
    mounted below a prefix gets (what Starlette's routes do, in its private
    ``_utils.get_route_path``; written here so no private module is imported)."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if not root_path or not path.startswith(root_path):
        return path
    if path == root_path:
        return ""
    return path[len(root_path) :] if path[len(root_path)] == "/" else path


def path_key(path: str) -> str:
    """The first two segments of ``path``: ``/data/v3/sessions/x`` -> ``/data/v3``."""
    first = path.find("/", 1)
    if first < 0:
        return path
    second = path.find("/", first + 1)
    return path if second < 0 else path[:second]


def literal_prefix(route: BaseRoute) -> str:
    """The text every path this route matches starts with ("" when unknown)."""
    if isinstance(route, Route | Mount):
        return route.path.split("{", 1)[0]
    return ""


def could_match(prefix: str, key: str) -> bool:
    """Whether a path whose key is ``key`` may start with ``prefix``.

    Such a path is ``key`` followed by nothing or by ``/...``; it starts with
    ``prefix`` only if ``prefix`` is a prefix of ``key`` or extends it past a ``/``.
    """
    return key.startswith(prefix) or prefix == key or prefix.startswith(key + "/")


class IndexedRouter(Router):
    """A ``Router`` that tries only the routes a request's path could match."""

    def __init__(self, routes: Sequence[BaseRoute], **kwargs: Any) -> None:
        super().__init__(routes=list(routes), **kwargs)
        self._indexed = 0
        self._prefixes: list[tuple[str, BaseRoute]] = []
        self._buckets: dict[str, Router] = {}

    def bucket(self, key: str) -> Router:
        """The sub-router for paths keyed ``key`` (its routes in the original order)."""
        if len(self.routes) != self._indexed:
            # Routes were added after start-up (Starlette allows it): index afresh.
            self._prefixes = [(literal_prefix(route), route) for route in self.routes]
            self._buckets.clear()
            self._indexed = len(self.routes)
        found = self._buckets.get(key)
        if found is None:
            found = _Bucket(
                routes=[r for prefix, r in self._prefixes if could_match(prefix, key)],
                redirect_slashes=False,
            )
            if len(self._buckets) < MAX_KEYS:
                self._buckets[key] = found
        return found

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Redirecting slashes may change a path's key: keep Starlette's full loop then.
        if scope["type"] != "http" or self.redirect_slashes:
            await super().app(scope, receive, send)
            return
        scope.setdefault("router", self)
        await self.bucket(path_key(route_path(scope))).app(scope, receive, send)


class _Bucket(Router):
    """One key's routes. A literal path wins over templates that also match it
    (``/callbacks/flush`` is not the delivery id ``flush``), and a 405 lists the
    methods of every route of the path that matched."""

    def __init__(self, routes: Sequence[BaseRoute], **kwargs: Any) -> None:
        super().__init__(routes=list(routes), **kwargs)
        literal: list[BaseRoute] = [r for r in routes if isinstance(r, Route) and "{" not in r.path]
        templates: list[BaseRoute] = [r for r in routes if r not in literal]
        self._tiers: list[list[BaseRoute]] = [literal, templates]

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        for tier in self._tiers:
            allowed: set[str] = set()
            for route in tier:
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    scope["route"] = route
                    scope.update(child_scope)
                    await route.handle(scope, receive, send)
                    return
                if match is Match.PARTIAL and isinstance(route, Route):
                    allowed.update(route.methods or ())
            if allowed:
                raise HTTPException(status_code=405, headers={"Allow": ", ".join(sorted(allowed))})
        await self.default(scope, receive, send)
