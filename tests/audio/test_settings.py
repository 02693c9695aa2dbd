"""The ``audio`` settings section: defaults and how flags and variables reach it."""

from __future__ import annotations

import pytest

from emulator.audio.settings import AudioSettings
from emulator.settings import Settings


def test_defaults() -> None:
    assert AudioSettings() == AudioSettings(vad="silero", max_scan_seconds=210.0)
    assert Settings().audio == AudioSettings()


def test_environment_and_dotted_names() -> None:
    assert Settings.from_env({"EMULATOR_AUDIO_VAD": "heuristic"}).audio.vad == "heuristic"
    changed = Settings().with_dotted({"audio.max_scan_seconds": "120"})
    assert changed.audio.max_scan_seconds == 120.0


def test_unknown_detectors_are_refused() -> None:
    with pytest.raises(ValueError, match="silero, heuristic"):
        Settings().with_dotted({"audio.vad": "webrtc"})
