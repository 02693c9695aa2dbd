"""HTTP endpoints of this vendor (filled in by the vendor's issue)."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
control_routes: list[BaseRoute] = []


def scenarios() -> list[dict[str, Any]]:
    return []
