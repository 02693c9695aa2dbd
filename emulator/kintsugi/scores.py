"""Synthetic Kintsugi predictions: a pure function of (seed, the voice, model).

The real models turn vocal features into a label per category. Here two latent
severities in [0, 1) -- depression and anxiety -- come from the recording's
`VoiceProfile` (`emulator.kintsugi.voice`: pitch range, speaking rate, pauses,
loudness; an emulator's heuristic, not a clinical model), shifted by up to
`SEED_SHIFT` by the seed, and every label is read off them through fixed cut
points. One recording's results therefore agree across models (a
`moderate_to_severe` severity recording is `true` in the binary model), the same
voice keeps its labels, and flat, slow, quiet speech leans to higher severity.

A recording without a profile (no voice found: only possible with the
`kintsugi.min_voice_seconds` threshold lowered) falls back to the previous rule: the
latents are drawn from the seed and the fingerprint of the decoded samples, with the
priors of the cut points (most people screened are not depressed) and anxiety
sharing the depression draw 60 % of the time.

Label sets:
* depression severity: `no_to_mild`, `mild_to_moderate`, `moderate_to_severe`
  (seed 002 example; kintsugi-api.md §4.9) — v1 `value` 0, 1, 2.
* depression binary: `false`, `true`, `additional_consideration_required` (the device's
  outputs, regulatory page, §2; the v2 feedback enum, §4.9) — v1 `value` 0, 1, 2 [INFERRED].
* anxiety severity: the GAD-7 bands `no_or_minimal`, `mild`, `moderate`, `severe`
  [INFERRED: §4.9 lists these plus `moderately_severe`, a PHQ-9 band, dropped here].
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from emulator.audio.features import VoiceProfile
from emulator.core.randomness import Part, rng
from emulator.kintsugi.voice import Scores, scores


class Category(StrEnum):
    DEPRESSION = "depression"
    ANXIETY = "anxiety"


class Granularity(StrEnum):
    BINARY = "binary"
    SEVERITY = "severity"


DEPRESSION_SEVERITY = ("no_to_mild", "mild_to_moderate", "moderate_to_severe")
DEPRESSION_BINARY = ("false", "true", "additional_consideration_required")
ANXIETY_SEVERITY = ("no_or_minimal", "mild", "moderate", "severe")

# (cut points on the latent, label) — the share of each label is the width of its band.
_SEVERITY_CUTS = ((0.50, "no_to_mild"), (0.80, "mild_to_moderate"), (1.0, "moderate_to_severe"))
# Below 0.55 clearly negative, a grey band just under the severe threshold, then positive.
_BINARY_CUTS = ((0.50, "false"), (0.65, "additional_consideration_required"), (1.0, "true"))
_ANXIETY_CUTS = ((0.45, "no_or_minimal"), (0.75, "mild"), (0.90, "moderate"), (1.0, "severe"))
_COMORBIDITY = 0.6
SEED_SHIFT = 0.1  # the seed moves both voice scores by up to this much
_TOP = 0.999_999  # latents stay in [0, 1)


@dataclass(frozen=True, slots=True)
class Model:
    """One of the vendor's prediction models: what it scores and how finely."""

    name: str
    categories: tuple[Category, ...]
    granularity: Granularity

    @property
    def category_field(self) -> str:
        """The v2 `model_category` value: a comma list (kintsugi-api.md §6.4)."""
        return ",".join(self.categories)

    def labels(self, category: Category) -> tuple[str, ...]:
        if category is Category.ANXIETY:
            return ANXIETY_SEVERITY
        if self.granularity is Granularity.BINARY:
            return DEPRESSION_BINARY
        return DEPRESSION_SEVERITY


MODELS: dict[str, Model] = {
    m.name: m
    for m in (
        Model("depression_binary", (Category.DEPRESSION,), Granularity.BINARY),
        Model("depression_severity", (Category.DEPRESSION,), Granularity.SEVERITY),
        Model("anxiety_severity", (Category.ANXIETY,), Granularity.SEVERITY),
        # POST /v2/prediction/: "unified depression and anxiety prediction", 3-class (§4.2).
        Model("unified", (Category.DEPRESSION, Category.ANXIETY), Granularity.SEVERITY),
    )
}


def _cut(value: float, cuts: tuple[tuple[float, str], ...]) -> str:
    for bound, label in cuts:
        if value < bound:
            return label
    return cuts[-1][1]


def seed_shift(seed: int) -> float:
    """How far the seed moves the voice scores (the same for every recording)."""
    return rng(seed, "kintsugi", "voice-shift").uniform(-SEED_SHIFT, SEED_SHIFT)


def latents(seed: int, *, profile: VoiceProfile | None, fingerprint: Part | None) -> Scores:
    """The two latent severities of a recording: from its voice, else from its samples."""
    if profile is not None:
        found, shift = scores(profile), seed_shift(seed)
        return Scores(_clip(found.depression + shift), _clip(found.anxiety + shift))
    stream = rng(seed, "kintsugi", "score", fingerprint if fingerprint is not None else "")
    latent = stream.random()
    anxiety = latent if stream.random() < _COMORBIDITY else stream.random()
    return Scores(latent, anxiety)


def _clip(value: float) -> float:
    return min(_TOP, max(0.0, value))


def labels(found: Scores, model: Model) -> dict[Category, str]:
    """The label per category this model reads off the latents."""
    out: dict[Category, str] = {}
    for category in model.categories:
        if category is Category.ANXIETY:
            out[category] = _cut(found.anxiety, _ANXIETY_CUTS)
        elif model.granularity is Granularity.BINARY:
            out[category] = _cut(found.depression, _BINARY_CUTS)
        else:
            out[category] = _cut(found.depression, _SEVERITY_CUTS)
    return out


def predict(
    seed: int,
    model: Model,
    *,
    profile: VoiceProfile | None = None,
    fingerprint: Part | None = None,
) -> dict[Category, str]:
    """The label per category this model gives the recording."""
    return labels(latents(seed, profile=profile, fingerprint=fingerprint), model)


def margin(found: Scores) -> float:
    """Distance from the latents to the nearest cut point of any model: how far an edit
    of the recording would have to move a score to change some label."""
    cuts = [bound for table in (_SEVERITY_CUTS, _BINARY_CUTS) for bound, _ in table[:-1]]
    anxiety = [bound for bound, _ in _ANXIETY_CUTS[:-1]]
    nearest = [abs(found.depression - c) for c in cuts] + [abs(found.anxiety - c) for c in anxiety]
    return min(nearest)


def label_value(model: Model, category: Category, label: str) -> int:
    """The v1 `data.value` of a label: its index in the model's label list."""
    return model.labels(category).index(label)
