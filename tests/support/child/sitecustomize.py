"""The loopback guard in every Python process the tests start.

``tests/conftest.py`` puts this folder first on the ``PYTHONPATH`` that child processes
inherit and names a file in ``EMULATOR_TEST_GUARD_LOG``; Python imports
``sitecustomize`` at start-up, so an emulator started with ``python -m emulator`` (or a
child pytest) refuses off-machine lookups and connections as the test process does,
and writes each refusal to that file for the test session to report
(``tests/support/network.py``). Loaded by path: the child need not import ``tests``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path


def _install(log: str) -> None:
    path = Path(__file__).resolve().parent.parent / "network.py"
    spec = importlib.util.spec_from_file_location("_vendor_emulator_test_guard", path)
    if spec is None or spec.loader is None:  # pragma: no cover - the file is beside us
        raise ImportError(f"cannot load the loopback guard from {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    module.Guard(record_to=log).install()


_LOG = os.environ.get("EMULATOR_TEST_GUARD_LOG")
if _LOG:
    _install(_LOG)
