"""A labelled corpus for the 30-seconds-of-voice guardrail, regenerated at test time.

Speech comes from espeak-ng (several voices, speeds, levels, intonation ranges), rooms
and telephone lines from sox, music and tones from numpy (tests.support.music). Each
case says whether Kintsugi's guardrail should accept it: at least 30 s of voice once
silence and non-voice are removed (seed 002, audio file specification). The cases are
the ones issue 14 lists; the expected verdicts are the recordings' construction, not
any detector's output.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from emulator.audio.writer import encode_wav
from tests.support import music
from tests.support.speech import Speech, Voice, make_speech

RATE = 22050  # espeak-ng's rate; music is made at it too


@dataclass(frozen=True)
class Case:
    name: str
    accept: bool
    build: Callable[[], bytes]
    needs_sox: bool = False


def _speech(voiced: float, seed: int, **kw: object) -> Speech:
    return make_speech(voiced, seed=seed, **kw)  # type: ignore[arg-type]


def _wav(speech: Speech) -> bytes:
    return speech.wav()


def _music(samples: music.Samples) -> bytes:
    return encode_wav(samples, RATE)


LOW_MONOTONE = Voice("en-us", pitch=12, words_per_minute=130, range="x-low")
QUIET = Voice("en-gb+f3", amplitude=100)


CASES: tuple[Case, ...] = (
    Case("speech", True, lambda: _wav(_speech(36, 11))),
    Case("speech_48k", True, lambda: _wav(_speech(35, 12).resampled(48000))),
    Case("speech_padded_to_75s", True, lambda: _wav(_speech(33, 13).padded(75))),
    Case("speech_too_short", False, lambda: _wav(_speech(24, 14).padded(60))),
    Case("speech_quiet_-40dBFS", True, lambda: _wav(_speech(36, 15, voice=QUIET).peak(-40))),
    Case("speech_low_monotone", True, lambda: _wav(_speech(36, 16, voice=LOW_MONOTONE))),
    Case(
        "speech_telephone_8k",
        True,
        lambda: _wav(_speech(36, 17).through_sox("sinc", "300-3400", rate=8000)),
        needs_sox=True,
    ),
    Case(
        "speech_reverberant",
        True,
        lambda: _wav(_speech(36, 18).through_sox("reverb", "60", "50", "100")),
        needs_sox=True,
    ),
    Case(
        "speech_over_music",
        True,
        lambda: _wav(_speech(36, 19).over(music.band(60, RATE, seed=1), snr_db=10)),
    ),
    Case(
        "short_speech_over_music",
        False,
        lambda: _wav(_speech(18, 20).padded(60).over(music.band(60, RATE, seed=2), snr_db=10)),
    ),
    Case("organ_melody", False, lambda: _music(music.melody("organ", 90, RATE, seed=3))),
    Case("flute_melody_vibrato", False, lambda: _music(music.melody("flute", 90, RATE, seed=4))),
    Case("cello_melody_vibrato", False, lambda: _music(music.melody("cello", 90, RATE, seed=5))),
    Case("plucked_chords", False, lambda: _music(music.plucked_chords(90, RATE, seed=6))),
    Case("buzz_120hz_tremolo", False, lambda: _music(music.buzz(90, RATE))),
    Case("band", False, lambda: _music(music.band(90, RATE, seed=7))),
)
BY_NAME = {case.name: case for case in CASES}


@functools.cache
def recording(name: str) -> bytes:
    """The WAV bytes of one case, built once per test session."""
    return BY_NAME[name].build()
