"""Deferred imports of heavy libraries (numpy, pysleep), for a fast start.

numpy alone costs ~140 ms to import, a third of the emulator's cold start, yet no
request before the first audio upload or sleep session needs it. Modules bind it with
``np = lazy.module("numpy")`` (and the real import under ``TYPE_CHECKING`` for types);
the import happens on first attribute access, and ``warm_up()`` does it in a background
thread once the server listens, so the first real request does not pay for it either.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from types import ModuleType

HEAVY = ("numpy", "pysleep")


def module(name: str) -> ModuleType:
    """``name``, imported on first attribute access (``importlib.util.LazyLoader``)."""
    found = sys.modules.get(name)
    if found is not None:
        return found
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    lazy = importlib.util.module_from_spec(spec)
    sys.modules[name] = lazy
    loader.exec_module(lazy)
    return lazy


def loaded(name: str) -> bool:
    """Whether ``name`` has really been imported (not just bound lazily)."""
    found = sys.modules.get(name)
    # A lazy module turns into a plain module once its import has run.
    return found is not None and type(found).__name__ != "_LazyModule"


def warm_up() -> threading.Thread:
    """Finish the heavy imports in the background (call once the server listens)."""

    def load() -> None:
        for name in HEAVY:
            # Touching an attribute completes a lazy module's import.
            getattr(module(name), "__name__", None)
            getattr(importlib.import_module(name), "__dict__", None)

    thread = threading.Thread(target=load, name="vendor-emulator-warm-up", daemon=True)
    thread.start()
    return thread
