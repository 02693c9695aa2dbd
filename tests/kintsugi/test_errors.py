"""Kintsugi's one table of audio errors: the neutral audio verdicts in Kintsugi's codes,
with the seed's texts (seed 002, predict 4.0 Responses)."""

from __future__ import annotations

import pytest

from emulator.audio import Problem, check_voice
from emulator.kintsugi.errors import AUDIO_CODES, AUDIO_MESSAGES, audio_code, audio_message
from tests.audio.conftest import fixture_bytes, load_manifest


@pytest.mark.parametrize(
    ("problem", "code"),
    [
        (Problem.NOT_WAV, "unstandard_audio"),
        (Problem.UNREADABLE, "unstandard_audio"),
        (Problem.UNSUPPORTED_ENCODING, "unsupported_audio_spec"),
        (Problem.SAMPLE_RATE_TOO_LOW, "unsupported_audio_spec"),
        (Problem.TOO_MANY_CHANNELS, "unsupported_audio_spec"),
        (Problem.TOO_LITTLE_VOICE, "insufficient_audio_length"),
        (None, "unstandard_audio"),
    ],
)
def test_each_voice_problem_has_a_code(problem: Problem | None, code: str) -> None:
    assert audio_code(problem) == code


@pytest.mark.parametrize("entry", load_manifest(), ids=lambda e: str(e["name"]))
def test_every_fixture_maps_to_its_documented_code(entry: dict[str, object]) -> None:
    verdict = check_voice(fixture_bytes(str(entry["name"])))
    assert (None if verdict.ok else audio_code(verdict.problem)) == entry["kintsugi"]


def test_messages_are_the_seeds_with_the_threshold_in_force() -> None:
    assert set(AUDIO_MESSAGES) == set(AUDIO_CODES)
    assert "not a WAV file" in audio_message("unstandard_audio")
    assert audio_message("insufficient_audio_length", 45.0).startswith(
        "The provided audio file does not contain at least 45 seconds of voice."
    )
