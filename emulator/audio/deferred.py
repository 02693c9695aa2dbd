"""Deferred imports inside the audio package: numpy and soxr load on first use.

The audio package is a leaf (it imports nothing else of the emulator), so it cannot
use ``emulator.core.lazy``; this is the same idea in its smallest form. Importing
``emulator.audio`` (which every vendor does at start-up, for its types) must not cost
numpy's ~140 ms: ``np = deferred.module("numpy")`` stands in for numpy and imports it on
the first attribute read. ``importlib.import_module`` holds the per-module import lock,
so a second thread reading ``np.array`` while the first still imports waits for it
(``importlib.util.LazyLoader`` before Python 3.12.3 did not: CPython gh-114763).
"""

from __future__ import annotations

import importlib
import sys
import threading
from types import ModuleType
from typing import Any


class _StandIn(ModuleType):
    def __getattr__(self, attr: str) -> Any:
        real = self.__dict__.get("_real")
        if real is None:
            real = self.__dict__["_real"] = importlib.import_module(self.__name__)
        return getattr(real, attr)


_made: dict[str, ModuleType] = {}
_lock = threading.Lock()


def module(name: str) -> ModuleType:
    """``name`` itself once imported, else a stand-in that imports it on first use."""
    found = sys.modules.get(name)
    if found is not None:
        return found
    with _lock:
        return _made.setdefault(name, _StandIn(name))
