"""Kintsugi Voice's settings section and its part of the tenant file.

``KintsugiSettings`` is the ``kintsugi.*`` section of the emulator's settings (env
twins ``EMULATOR_KINTSUGI_<FIELD>``); defaults match the vendor's audio specification
(seed 002). ``KintsugiAccess`` is what the tenant file grants a key:

    [keys."team-a"]
    kintsugi = true                  # false -> 403 unauthorized_account
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from emulator.core.lifecycle import Mode, ProgressionPolicy


@dataclass(frozen=True, slots=True)
class KintsugiSettings:
    """Kintsugi Voice policy: the ``kintsugi.*`` settings."""

    min_sample_rate: int = 8000
    max_channels: int = 1
    min_voice_seconds: float = 30.0
    # No documented cap; large enough for a 10-minute 48 kHz 32-bit stereo recording.
    max_body_bytes: int = 128 * 1024 * 1024
    # v2 predictions: `processing` until the first poll has seen it (research §6.6).
    progression: Mode = "polls"
    progression_polls: int = 1
    progression_seconds: float = 5.0
    # v1 predict success status: the seed's example response is 201 (its table also
    # shows a 200 row); docs/decisions.md (Kintsugi Voice) explains the choice.
    v1_predict_status: int = 201
    # v2 audio that fails the guardrails: "record" = 202, then a `failed` record with
    # `predict_error`; "reject" = 422 {"message": code} at submit (research §4.2, §4.4).
    v2_audio_failure: Literal["record", "reject"] = "record"
    # HTTP status of GET /v2/predict/sessions/{id} for a failed record (417 mimics the
    # third-party hint in research §4.4).
    failed_record_status: int = 200
    # Predicting on an is_initiated=false session: 404 nonexistent_initiation ("a
    # session is not created", seed 002) or 406 consent_not_provided (3rd-party hint).
    no_consent_error: Literal["nonexistent_initiation", "consent_not_provided"] = (
        "nonexistent_initiation"
    )

    def progression_policy(self) -> ProgressionPolicy:
        return ProgressionPolicy(self.progression, self.progression_polls, self.progression_seconds)


@dataclass(frozen=True, slots=True)
class KintsugiAccess:
    """What one API key may do with Kintsugi Voice."""

    enabled: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"kintsugi": self.enabled}


class KintsugiAccessSection:
    """Reads the ``kintsugi`` entry of a key in the tenant file."""

    keys: Final = frozenset({"kintsugi"})
    _default: Final = KintsugiAccess()

    def default(self) -> KintsugiAccess:
        return self._default

    def parse(self, api_key: str, entry: Mapping[str, Any]) -> KintsugiAccess:
        enabled = entry.get("kintsugi", True)
        if not isinstance(enabled, bool):
            raise ValueError(f"keys.{api_key}.kintsugi must be true or false, not {enabled!r}")
        return KintsugiAccess(enabled)
