"""Asleep as the app sees it: the ``Vendor`` with Asleep's live state.

The package's ``vendor(settings)`` builds it; Asleep code finds it again from a
request or the runtime with ``rt.vendor(AsleepVendor)``.
"""

from __future__ import annotations

import threading
from typing import Any

from emulator.asleep.errors import AsleepShape
from emulator.asleep.settings import AsleepAccessSection, AsleepSettings
from emulator.core.runtime import Runtime, Vendor


class AsleepVendor(Vendor):
    """Asleep's routes and hooks, its settings section, and its tick lock."""

    def __init__(self, settings: AsleepSettings, **parts: Any) -> None:
        super().__init__(
            name="asleep",
            title="Asleep",
            prefixes=("/ai/", "/data/"),
            errors=AsleepShape(),
            max_body_bytes=settings.max_body_bytes,
            progression=settings.progression_policy(),
            access=AsleepAccessSection(settings.default_plan()),
            # Nights and statistics (emulator.asleep.night, .stats) need both.
            # The request and response models import pydantic (``bodies``, ``documents``).
            warm=("numpy", "pysleep", "emulator.asleep.validation", "emulator.asleep.documents"),
            **parts,
        )
        self.settings = settings
        # The background ticker and a test calling ``wiring.tick`` from its own thread
        # must not complete one session twice (two SESSION_COMPLETE webhooks).
        self.tick_lock = threading.Lock()


def asleep_of(rt: Runtime) -> AsleepVendor:
    """This app's Asleep."""
    return rt.vendor(AsleepVendor)
