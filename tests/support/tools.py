"""Tests that need a program from outside Python: a visible skip, or a failure in CI.

``need("espeak-ng", "apt-get install espeak-ng")`` returns the program's path. When it
is missing the test is skipped with a reason naming the package, so a developer sees
what did not run; under ``EMULATOR_TEST_REQUIRE_TOOLS=1`` (set by ``.ci/run``, which
installs every tool first) the test fails instead: CI never passes by skipping.
"""

from __future__ import annotations

import os
import shutil

import pytest

REQUIRE_ENV = "EMULATOR_TEST_REQUIRE_TOOLS"


def required() -> bool:
    return os.environ.get(REQUIRE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def missing(what: str, install: str) -> None:
    """Skip (or, in CI, fail) because ``what`` is not available; ``install`` says how."""
    message = f"{what} is not available ({install})"
    if required():
        pytest.fail(f"{message}, but {REQUIRE_ENV} is set: CI installs it", pytrace=False)
    pytest.skip(message)


def need(program: str, install: str) -> str:
    """The path of ``program``, or a visible skip (a failure in CI) when it is missing."""
    found = shutil.which(program)
    if found is None:
        missing(program, install)
        raise AssertionError("unreachable")  # pragma: no cover - missing() raises
    return found
