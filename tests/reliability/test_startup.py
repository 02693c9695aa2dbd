"""Requests that race the start-up warm-up of the heavy libraries.

``emulator.core.lazy`` defers numpy and pysleep and finishes importing them in a background
thread shortly after start-up (cold start, issue 8). A request needing numpy while
that thread is mid-import must wait for it, not see a half-initialised module: with
``importlib.util.LazyLoader`` on Python < 3.12.3 (CPython gh-114763) such requests
failed with ``AttributeError: module 'numpy' has no attribute 'array'`` (500s the
reliability suite caught under load). The probe below reproduces the race
deterministically: the main thread reads numpy attributes in a tight loop for as long
as the warm-up thread runs.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.reliability

PROBE = """
import json
from emulator.core import lazy

np = lazy.module("numpy")
pysleep = lazy.module("pysleep")
errors, reads = [], 0
warm_up = lazy.warm_up(["numpy", "pysleep"])
while warm_up.is_alive():
    try:
        np.array([1, 2, 3]).sum()
        np.int8(3)
        reads += 1
    except AttributeError as exc:
        errors.append(str(exc))
warm_up.join()
print(json.dumps({"reads": reads, "errors": len(errors), "first": errors[:1],
                  "loaded": [lazy.loaded("numpy"), lazy.loaded("pysleep")]}))
"""


@pytest.mark.parametrize("attempt", range(3))
def test_numpy_use_during_warm_up_waits_for_the_import(attempt: int) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"\nwarm-up race, attempt {attempt}: {result}")
    assert result["errors"] == 0, result["first"]
    assert result["loaded"] == [True, True]
