"""docs/client.md's sample client project: the files the page shows are the files in
docs/examples/screening-client/, and that project's pytest suite passes (run as its
user would: pytest in the project directory, in a subprocess, warnings as errors)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "client.md"
PROJECT = ROOT / "docs" / "examples" / "screening-client"
_SHOWN = re.compile(r"<!-- file: (\S+) -->\n```\w*\n(.*?)^```", re.M | re.S)


def test_the_page_shows_the_projects_files_as_they_are() -> None:
    shown = dict(_SHOWN.findall(PAGE.read_text(encoding="utf-8")))
    assert sorted(shown) == [
        "docs/examples/screening-client/screening.py",
        "docs/examples/screening-client/tests/conftest.py",
        "docs/examples/screening-client/tests/test_screening.py",
    ]
    for path, text in shown.items():
        assert (ROOT / path).read_text(encoding="utf-8") == text, path


def test_the_sample_projects_tests_pass() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    print(done.stdout)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 passed" in done.stdout
    assert "vendor-emulator: 1 server(s) started" in done.stdout
