"""From what a voice sounds like to the emulator's two severity scores, in [0, 1].

THIS IS AN EMULATOR'S HEURISTIC, NOT A CLINICAL MODEL. Kintsugi's real models are
machine-learned from vocal biomarkers (kintsugi-api.md §1: the open-sourced DAM is a
Whisper-based classifier); nothing here predicts anything about a person. The point
is the behaviour a client sees: results that follow the recording (the same speaker
speaking the same way keeps a label; a different speaker may get another) and that
stay put under edits nobody can hear (docs/voice.md measures how well).

Each `VoiceProfile` measure becomes a *leaning* in [0, 1] by a clipped linear ramp
between a value typical of lively speech (0) and one typical of flat, slow, quiet
speech (1) -- the direction in which the speech literature reports depressed speech
differs (lower pitch variability, slower rate, longer pauses, less loudness variation,
lower energy). The depression score is a weighted mean of the leanings. Anxiety
shares half of it (the conditions are strongly comorbid) and takes the rest from an
*arousal* score: higher pitch, faster speech, fewer pauses.

The ramps are wide and the measures barely move under imperceptible edits (a 2 dB
gain moves only the loudness leaning, by 0.07 at most; the others move by a few
thousandths), so a score moves by ~0.01 while the label bands are 0.1-0.5 wide.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from emulator.audio.features import VoiceProfile


@dataclass(frozen=True, slots=True)
class Ramp:
    """``lively`` maps to 0, ``flat`` to 1, linearly between, clipped outside."""

    lively: float
    flat: float
    weight: float

    def leaning(self, value: float) -> float:
        share = (value - self.lively) / (self.flat - self.lively)
        return min(1.0, max(0.0, share))


def _semitones(hz: float) -> float:
    return 12 * math.log2(max(hz, 1.0) / 100.0)  # relative to 100 Hz


# Depression: what each profile measure weighs and where its ramp lies. The loudness
# of the recording only counts when it is very quiet (median voice frame under -55
# dBFS, a peak around -35 dBFS or lower): everywhere else a gain change cannot move
# the score at all.
DEPRESSION = {
    "pitch_range_st": Ramp(lively=5.0, flat=0.8, weight=0.35),  # monotone intonation
    "speaking_rate_hz": Ramp(lively=5.8, flat=3.2, weight=0.25),  # slow speech
    "pause_ratio": Ramp(lively=0.05, flat=0.40, weight=0.20),  # long pauses
    "pitch_st": Ramp(lively=_semitones(220.0), flat=_semitones(70.0), weight=0.10),  # low voice
    "loudness_range_db": Ramp(lively=14.0, flat=4.0, weight=0.05),  # flat loudness
    "level_dbfs": Ramp(lively=-55.0, flat=-75.0, weight=0.10),  # a very quiet voice
}
# Anxiety's arousal score: a raised, fast, unbroken voice.
AROUSAL = {
    "pitch_st": Ramp(lively=_semitones(90.0), flat=_semitones(260.0), weight=0.45),
    "speaking_rate_hz": Ramp(lively=3.5, flat=6.0, weight=0.40),
    "pause_ratio": Ramp(lively=0.40, flat=0.05, weight=0.15),
}
ANXIETY_SHARE = 0.5  # of the depression score in the anxiety score
# Weighted means of leanings bunch up in the middle; each score is spread around the
# value typical voices give (centre) so that voices reach every label band:
# score = 0.5 + spread x (weighted mean - centre), clipped to [0, 1] by the caller.
DEPRESSION_CENTRE, DEPRESSION_SPREAD = 0.48, 1.8
ANXIETY_CENTRE, ANXIETY_SPREAD = 0.46, 2.4


@dataclass(frozen=True, slots=True)
class Scores:
    """The two latent severities the labels are read from (`emulator.kintsugi.scores`)."""

    depression: float
    anxiety: float


def _measures(profile: VoiceProfile) -> dict[str, float]:
    return {
        "pitch_range_st": profile.pitch_range_st,
        "speaking_rate_hz": profile.speaking_rate_hz,
        "pause_ratio": profile.pause_ratio,
        "loudness_range_db": profile.loudness_range_db,
        "level_dbfs": profile.level_dbfs,
        "pitch_st": _semitones(profile.pitch_hz),
    }


def _weighted(ramps: dict[str, Ramp], measures: dict[str, float]) -> float:
    total = sum(r.weight for r in ramps.values())
    return sum(r.weight * r.leaning(measures[name]) for name, r in ramps.items()) / total


def scores(profile: VoiceProfile) -> Scores:
    """The depression and anxiety scores of a voice (before the seed's shift)."""
    measures = _measures(profile)
    depression = _weighted(DEPRESSION, measures)
    anxiety = ANXIETY_SHARE * depression + (1 - ANXIETY_SHARE) * _weighted(AROUSAL, measures)
    return Scores(
        0.5 + DEPRESSION_SPREAD * (depression - DEPRESSION_CENTRE),
        0.5 + ANXIETY_SPREAD * (anxiety - ANXIETY_CENTRE),
    )
