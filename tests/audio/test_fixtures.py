"""The committed fixture files: regenerated identically, and each parses and is judged
as ``fixtures/audio/manifest.json`` says."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from emulator.audio import check_chunk, check_spectrogram, check_voice, inspect_audio
from tests.audio.conftest import FIXTURES, fixture_bytes, load_manifest

MANIFEST = load_manifest()
IDS = [entry["name"] for entry in MANIFEST]


def test_generator_reproduces_the_committed_files(tmp_path: Path) -> None:
    script = FIXTURES / "make_fixtures.py"
    subprocess.run([sys.executable, str(script), str(tmp_path)], check=True, timeout=120)
    generated = sorted(p.name for p in tmp_path.iterdir())
    assert generated == sorted([*IDS, "manifest.json", "README.md"])
    for name in generated:
        assert (tmp_path / name).read_bytes() == (FIXTURES / name).read_bytes(), name


def test_fixtures_are_small() -> None:
    assert all((FIXTURES / name).stat().st_size < 200 * 1024 for name in IDS)


def test_readme_lists_every_fixture() -> None:
    readme = (FIXTURES / "README.md").read_text("utf-8")
    assert all(f"`{name}`" in readme for name in IDS)


@pytest.mark.parametrize("entry", MANIFEST, ids=IDS)
def test_inspect_audio(entry: dict[str, Any]) -> None:
    info = inspect_audio(fixture_bytes(entry["name"]))
    assert info.container == entry["container"]
    assert (info.error.code if info.error else None) == entry["error"]
    assert [w.code for w in info.warnings] == entry["warnings"]
    if info.error is not None:
        assert info.error.message  # a human sentence, not just a code


@pytest.mark.parametrize("entry", MANIFEST, ids=IDS)
def test_verdicts(entry: dict[str, Any]) -> None:
    """Accepted exactly where the manifest expects no vendor code. The codes themselves
    are the vendors' (tests/kintsugi/test_v1.py, tests/asleep/test_audio_guardrails.py)."""
    data = fixture_bytes(entry["name"])
    assert check_voice(data).ok is (entry["kintsugi"] is None)
    assert check_chunk(data).ok is (entry["asleep"] is None)
    assert check_spectrogram(data).ok is (entry["mel"] is None)
