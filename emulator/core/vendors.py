"""What a vendor package hands the app: its routes, error shape, limits and scenarios.

Only ``app.py`` sees more than one vendor; each vendor package builds one ``Vendor``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.routing import BaseRoute

from emulator.core.errors import ErrorShape
from emulator.settings import Settings

if TYPE_CHECKING:
    from emulator.core.runtime import Runtime


@dataclass(frozen=True)
class Vendor:
    name: str
    title: str
    prefixes: tuple[str, ...]
    routes: Sequence[BaseRoute]
    errors: ErrorShape
    max_body_bytes: Callable[[Settings], int]
    # Extra control endpoints, mounted under /_emulator/<name>/.
    control_routes: Sequence[BaseRoute] = ()
    # Magic inputs and controls, listed by GET /_emulator/scenarios.
    scenarios: Callable[[], list[dict[str, Any]]] = field(default=list)
    # Called once with the app's runtime: register advancers, event hooks, services.
    install: Callable[[Runtime], None] = field(default=lambda rt: None)
    # The prefixes without their slash, computed once: ``serves`` runs on every request.
    _exact: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_exact", frozenset(p.rstrip("/") for p in self.prefixes))

    def serves(self, path: str) -> bool:
        """Whether ``path`` is under one of the prefixes (or is one, without its slash)."""
        return path.startswith(self.prefixes) or path in self._exact


def vendor_for(vendors: Sequence[Vendor], path: str) -> Vendor | None:
    """The vendor whose API ``path`` is in, or None (the control API, unknown paths)."""
    for vendor in vendors:
        if vendor.serves(path):
            return vendor
    return None
