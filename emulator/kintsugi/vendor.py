"""Kintsugi Voice as the app sees it: the ``Vendor`` with Kintsugi's settings.

The package's ``vendor(settings)`` builds it; Kintsugi code finds it again from a
request or the runtime with ``rt.vendor(KintsugiVendor)``.
"""

from __future__ import annotations

from typing import Any

from emulator.audio.settings import AudioSettings
from emulator.core.runtime import Runtime, Vendor
from emulator.kintsugi.errors import KintsugiShape
from emulator.kintsugi.settings import KintsugiAccessSection, KintsugiSettings


class KintsugiVendor(Vendor):
    """Kintsugi's routes and hooks, its settings section, and the audio section its
    guardrail uses (``audio.vad``: which voice detector)."""

    def __init__(
        self, settings: KintsugiSettings, *, audio: AudioSettings | None = None, **parts: Any
    ) -> None:
        super().__init__(
            name="kintsugi",
            title="Kintsugi Voice",
            prefixes=("/v1/", "/v2/"),
            errors=KintsugiShape(),
            max_body_bytes=settings.max_body_bytes,
            progression=settings.progression_policy(),
            access=KintsugiAccessSection(),
            # The audio checks; the voice detector's model warms separately (install).
            warm=("numpy",),
            **parts,
        )
        self.settings = settings
        self.audio = audio or AudioSettings()


def kintsugi_of(rt: Runtime) -> KintsugiVendor:
    """This app's Kintsugi Voice."""
    return rt.vendor(KintsugiVendor)
