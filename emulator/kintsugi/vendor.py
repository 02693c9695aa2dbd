"""Kintsugi Voice as the app sees it: the ``Vendor`` with Kintsugi's settings.

The package's ``vendor(settings)`` builds it; Kintsugi code finds it again from a
request or the runtime with ``rt.vendor(KintsugiVendor)``.
"""

from __future__ import annotations

from typing import Any

from emulator.core.runtime import Runtime, Vendor
from emulator.kintsugi.errors import KintsugiShape
from emulator.kintsugi.settings import KintsugiAccessSection, KintsugiSettings


class KintsugiVendor(Vendor):
    """Kintsugi's routes and hooks, and its settings section."""

    def __init__(self, settings: KintsugiSettings, **parts: Any) -> None:
        super().__init__(
            name="kintsugi",
            title="Kintsugi Voice",
            prefixes=("/v1/", "/v2/"),
            errors=KintsugiShape(),
            max_body_bytes=settings.max_body_bytes,
            progression=settings.progression_policy(),
            access=KintsugiAccessSection(),
            **parts,
        )
        self.settings = settings


def kintsugi_of(rt: Runtime) -> KintsugiVendor:
    """This app's Kintsugi Voice."""
    return rt.vendor(KintsugiVendor)
