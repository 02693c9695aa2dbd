"""The per-app runtime: every piece of live state, reachable from a request.

``create_app`` builds one ``Runtime`` and hangs it on ``app.state.runtime``; nothing
lives in module globals, so two apps in one process never share anything.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from starlette.requests import HTTPConnection

from emulator.clock import Clock
from emulator.journal import Journal
from emulator.settings import Settings
from emulator.store import Store
from emulator.tenants import Tenants
from emulator.vendors import Vendor


class Service(Protocol):
    """Something with background work, started and stopped with the app."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    store: Store
    tenants: Tenants
    journal: Journal
    vendors: tuple[Vendor, ...]
    services: list[Service] = field(default_factory=list)
    # Called with the API key (or None for everything) after the store is reset.
    on_reset: list[Callable[[str | None], None]] = field(default_factory=list)
    # Called once the app has started, e.g. to load demo data.
    on_startup: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)

    def reset(self, api_key: str | None = None) -> None:
        self.store.reset(api_key)
        self.journal.clear(api_key)
        for hook in self.on_reset:
            hook(api_key)

    def vendor_for(self, path: str) -> Vendor | None:
        for vendor in self.vendors:
            if vendor.serves(path):
                return vendor
        return None


def runtime(connection: HTTPConnection) -> Runtime:
    """The runtime of the app serving this request."""
    found: Runtime = connection.app.state.runtime
    return found
