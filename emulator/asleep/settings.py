"""Asleep's settings section, its plans, and its part of the tenant file.

``AsleepSettings`` is the ``asleep.*`` section of the emulator's settings (env twins
``EMULATOR_ASLEEP_<FIELD>``). Numbers come from asleep-api.md; each INFERRED one is
noted there. ``AsleepPlan`` is the contract a key has with Asleep (asleep-api.md §2.3,
§3.7.1) and ``AsleepAccess`` what the tenant file grants a key:

    [keys."team-a"]
    asleep = true                    # false -> 403 with asleep_denied as the detail
    asleep_denied = "Plan is expired"   # or "Rate limit exceeded", "Quota exceeded"

    [keys."team-a".asleep_plan]
    four_stage = true                # false: the 2-stage "Basic" plan (0 wake, 1 sleep)
    breathing = true                 # false: NO_BREATHING_STABILITY, breath fields null
    realtime = true                  # false: NO_REALTIME_POLLING on OPEN sessions
    webhook_version = "V3"           # V1 | V2 | V3
    cadence_minutes = 5              # 5 | 20 | 40 between INFERENCE_COMPLETE events
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Final, Literal, get_args

from emulator.core.lifecycle import Mode, ProgressionPolicy

WebhookVersion = Literal["V1", "V2", "V3"]
WEBHOOK_VERSIONS: Final[tuple[WebhookVersion, ...]] = get_args(WebhookVersion)
CADENCES: Final = (5, 20, 40)
ASLEEP_DENIALS: Final = ("Plan is expired", "Rate limit exceeded", "Quota exceeded")


@dataclass(frozen=True, slots=True)
class AsleepSettings:
    """Asleep policy: the ``asleep.*`` settings."""

    # 413 `HTTP length exceeded 16777216 bytes` (asleep-api.md §2.4, v1.0 error table).
    max_body_bytes: int = 16_777_216
    chunk_seconds: float = 30.0
    chunk_tolerance_seconds: float = 1.0
    chunk_max_bytes: int = 10 * 1024 * 1024
    allowed_rates: tuple[int, ...] = (16000, 44100, 48000)
    # "terminate": a new session ends the user's open one (current behaviour);
    # "conflict": 409 `Previous sleep session not yet closed` (v1.0 docs). §2.1, §9.7.
    open_session_policy: Literal["terminate", "conflict"] = "terminate"
    min_analysis_seconds: int = 1200
    max_session_seconds: int = 86400
    defect_threshold: float = 0.3
    progression: Mode = "immediate"
    progression_polls: int = 1
    progression_seconds: float = 60.0
    # The webhook payload version and INFERENCE_COMPLETE cadence of keys without a plan
    # of their own (asleep-api.md §4.6; once `webhooks.version`/`webhooks.cadence_minutes`).
    webhook_version: WebhookVersion = "V3"
    cadence_minutes: int = 5

    def __post_init__(self) -> None:
        if self.cadence_minutes not in CADENCES:
            raise ValueError("asleep.cadence_minutes must be 5, 20 or 40")

    def progression_policy(self) -> ProgressionPolicy:
        return ProgressionPolicy(self.progression, self.progression_polls, self.progression_seconds)

    def default_plan(self) -> AsleepPlan:
        return AsleepPlan(
            webhook_version=self.webhook_version, cadence_minutes=self.cadence_minutes
        )


@dataclass(frozen=True, slots=True)
class AsleepPlan:
    """The contract terms that shape Asleep results (asleep-api.md §2.3, §3.7.1)."""

    four_stage: bool = True
    breathing: bool = True
    realtime: bool = True
    webhook_version: WebhookVersion = "V3"
    cadence_minutes: int = 5

    def __post_init__(self) -> None:
        if self.webhook_version not in WEBHOOK_VERSIONS:
            raise ValueError("webhook_version must be V1, V2 or V3")
        if self.cadence_minutes not in CADENCES:
            raise ValueError("cadence_minutes must be 5, 20 or 40")

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class AsleepAccess:
    """What one API key may do with Asleep."""

    enabled: bool = True
    denied: str = "Plan is expired"
    plan: AsleepPlan = field(default_factory=AsleepPlan)

    def to_json(self) -> dict[str, Any]:
        return {
            "asleep": self.enabled,
            "asleep_denied": self.denied,
            "asleep_plan": self.plan.to_json(),
        }


class AsleepAccessSection:
    """Reads the ``asleep``, ``asleep_denied`` and ``asleep_plan`` entries of a key."""

    keys: Final = frozenset({"asleep", "asleep_denied", "asleep_plan"})

    def __init__(self, default_plan: AsleepPlan) -> None:
        self._default = AsleepAccess(plan=default_plan)

    def default(self) -> AsleepAccess:
        return self._default

    def parse(self, api_key: str, entry: Mapping[str, Any]) -> AsleepAccess:
        enabled = entry.get("asleep", True)
        if not isinstance(enabled, bool):
            raise ValueError(f"keys.{api_key}.asleep must be true or false, not {enabled!r}")
        denied = entry.get("asleep_denied", "Plan is expired")
        if denied not in ASLEEP_DENIALS:
            raise ValueError(
                f"keys.{api_key}.asleep_denied must be one of {', '.join(ASLEEP_DENIALS)}"
            )
        return AsleepAccess(enabled, denied, self._plan(api_key, entry.get("asleep_plan", {})))

    def _plan(self, api_key: str, raw: Any) -> AsleepPlan:
        known = {f.name: f.type for f in fields(AsleepPlan)}
        if not isinstance(raw, dict) or set(raw) - set(known):
            raise ValueError(f"keys.{api_key}.asleep_plan takes {', '.join(sorted(known))}")
        for name in ("four_stage", "breathing", "realtime"):
            if name in raw and not isinstance(raw[name], bool):
                raise ValueError(f"keys.{api_key}.asleep_plan.{name} must be true or false")
        cadence = raw.get("cadence_minutes")
        if cadence is not None and (not isinstance(cadence, int) or isinstance(cadence, bool)):
            raise ValueError(f"keys.{api_key}.asleep_plan.cadence_minutes must be 5, 20 or 40")
        try:
            return AsleepPlan(**{**self._default.plan.to_json(), **raw})
        except ValueError as exc:
            raise ValueError(f"keys.{api_key}.asleep_plan: {exc}") from None
