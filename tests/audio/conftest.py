"""Shared fixtures for the audio tests: the fixture files and espeak-ng speech."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.speech import ESPEAK, Speech, make_speech
from tests.support.tools import missing

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "audio"
SPEECH_RATES = (8000, 11025, 16000, 22050, 44100, 48000, 96000)


def load_manifest() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads((FIXTURES / "manifest.json").read_text("utf-8"))
    return entries


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture(scope="session")
def speech() -> Speech:
    """About 40 s of spoken sentences with 0.3-0.8 s pauses, at 22.05 kHz."""
    if ESPEAK is None:
        missing("espeak-ng", "apt-get install espeak-ng")
    return make_speech(38.0, seed=1)


@pytest.fixture(scope="session")
def paused_speech() -> Speech:
    """About 32 s of sentences separated by long (1.5-3.5 s) pauses."""
    if ESPEAK is None:
        missing("espeak-ng", "apt-get install espeak-ng")
    return make_speech(32.0, seed=2, pause=(1.5, 3.5))


@pytest.fixture(scope="session")
def speech_files(speech: Speech, tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """`speech` written as 16-bit mono WAV files, one per rate in `SPEECH_RATES`."""
    folder = tmp_path_factory.mktemp("speech")
    files = {}
    for rate in SPEECH_RATES:
        files[rate] = folder / f"speech_{rate}.wav"
        files[rate].write_bytes(speech.resampled(rate).wav())
    return files
