"""Synthetic Kintsugi predictions: a pure function of (seed, audio fingerprint, model).

The real models turn vocal features into a label per category. Here one latent
"severity" in [0, 1) is drawn from the seed and the fingerprint of the *decoded
samples* (so a re-encoded WAV keeps its result), and every label is read off it
through fixed cut points. That keeps one recording's results consistent across
models (a `moderate_to_severe` severity recording is `true` in the binary model) and
spreads labels over the classes with a plausible prior (most people screened are
not depressed). Anxiety shares the latent 60 % of the time, as the two conditions
are strongly comorbid; otherwise it has its own draw.

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

from emulator.core.randomness import Part, rng


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
_BINARY_CUTS = ((0.55, "false"), (0.65, "additional_consideration_required"), (1.0, "true"))
_ANXIETY_CUTS = ((0.45, "no_or_minimal"), (0.75, "mild"), (0.90, "moderate"), (1.0, "severe"))
_COMORBIDITY = 0.6


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


def predict(seed: int, fingerprint: Part, model: Model) -> dict[Category, str]:
    """The label per category this model gives the recording with this fingerprint."""
    stream = rng(seed, "kintsugi", "score", fingerprint)
    latent = stream.random()
    anxiety_latent = latent if stream.random() < _COMORBIDITY else stream.random()
    out: dict[Category, str] = {}
    for category in model.categories:
        if category is Category.ANXIETY:
            out[category] = _cut(anxiety_latent, _ANXIETY_CUTS)
        elif model.granularity is Granularity.BINARY:
            out[category] = _cut(latent, _BINARY_CUTS)
        else:
            out[category] = _cut(latent, _SEVERITY_CUTS)
    return out


def label_value(model: Model, category: Category, label: str) -> int:
    """The v1 `data.value` of a label: its index in the model's label list."""
    return model.labels(category).index(label)
