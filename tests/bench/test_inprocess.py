"""``python -m emulator.bench.inprocess`` measures every variant and prints each one.

Figures only: a handful of requests checks the command, not the speed.
"""

from __future__ import annotations

import os
import re

import pytest

from emulator.bench import inprocess

pytestmark = pytest.mark.e2e


def test_every_variant_is_measured_and_printed(capsys: pytest.CaptureFixture[str]) -> None:
    environ = dict(os.environ)
    assert inprocess.main(["--rounds", "1", "--requests", "20"]) == 0
    assert dict(os.environ) == environ  # e.g. the suite's response validation stays on
    printed = capsys.readouterr().out
    names = [
        "emulator ",
        *(f"emulator without {m}" for m in inprocess.MIDDLEWARES),
        "emulator without all three",
        "bare app, same body",
    ]
    for name in names:
        line = next(line for line in printed.splitlines() if line.strip().startswith(name))
        us, ratio = re.findall(r"(\d+\.\d+)", line)[-2:]
        assert float(us) > 0
        assert float(ratio) > 0
    assert "1.00x the bare app" in printed  # the bare app against itself
