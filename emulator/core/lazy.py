"""Deferred imports of heavy libraries (numpy, a vendor's own), for a fast start.

numpy alone costs ~140 ms to import, a third of the emulator's cold start, yet no
request before the first audio upload or sleep session needs it. Modules bind it with
``np = lazy.module("numpy")`` (and the real import under ``TYPE_CHECKING`` for types);
the import happens on first attribute access, and ``warm_up(names)`` does it in a
background thread once the server listens (the app passes what each vendor lists in
``Vendor.warm``), so the first real request does not pay for it either.

The stand-in is not ``importlib.util.LazyLoader``: before Python 3.12.3 that loader is
not thread-safe (CPython gh-114763: the module looks loaded while its code still
runs), so a request touching ``np.array`` during the warm-up failed with
``AttributeError`` -- a 500, found by the reliability suite. The stand-in defers to
``importlib.import_module``, whose per-module import lock makes a second thread wait
for the first import to finish.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from collections.abc import Iterable
from types import ModuleType
from typing import Any


class _Deferred(ModuleType):
    """Stands in for a module not imported yet; attribute reads import and forward."""

    def __getattr__(self, attr: str) -> Any:
        # Only reached for names the stand-in lacks, i.e. every real attribute.
        target = self.__dict__.get("_deferred_target")
        if target is None:
            target = importlib.import_module(self.__name__)  # waits for another thread
            self.__dict__["_deferred_target"] = target
        return getattr(target, attr)


_STAND_INS: dict[str, ModuleType] = {}
_STAND_INS_LOCK = threading.Lock()


def module(name: str) -> ModuleType:
    """``name``, imported on first attribute access (safely from any thread)."""
    found = sys.modules.get(name)
    if found is not None:
        return found
    if importlib.util.find_spec(name) is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    with _STAND_INS_LOCK:
        return _STAND_INS.setdefault(name, _Deferred(name))


def loaded(name: str) -> bool:
    """Whether ``name`` has really been imported (its code has finished running)."""
    found = sys.modules.get(name)
    spec = getattr(found, "__spec__", None)
    return found is not None and not getattr(spec, "_initializing", False)


def warm_up(names: Iterable[str]) -> threading.Thread:
    """Import ``names`` in the background (call once the server listens)."""
    chosen = tuple(names)

    def load() -> None:
        for name in chosen:
            importlib.import_module(name)

    thread = threading.Thread(target=load, name="vendor-emulator-warm-up", daemon=True)
    thread.start()
    return thread
