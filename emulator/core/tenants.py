"""API keys, what each may use, and its Asleep plan.

Without a config file every non-empty key is accepted with the full plan (the
common CI case). With one (``--config``, TOML or JSON), only the listed keys exist:

    [keys."team-a"]
    kintsugi = true                  # false -> 403 unauthorized_account
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

import json
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

WebhookVersion = Literal["V1", "V2", "V3"]
ASLEEP_DENIALS = ("Plan is expired", "Rate limit exceeded", "Quota exceeded")


@dataclass(frozen=True, slots=True)
class AsleepPlan:
    """The contract terms that shape Asleep results (asleep-api.md §2.3, §3.7.1)."""

    four_stage: bool = True
    breathing: bool = True
    realtime: bool = True
    webhook_version: WebhookVersion = "V3"
    cadence_minutes: int = 5

    def __post_init__(self) -> None:
        if self.webhook_version not in ("V1", "V2", "V3"):
            raise ValueError("webhook_version must be V1, V2 or V3")
        if self.cadence_minutes not in (5, 20, 40):
            raise ValueError("cadence_minutes must be 5, 20 or 40")

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class Tenant:
    """One API key and its entitlements."""

    api_key: str
    kintsugi: bool = True
    asleep: bool = True
    asleep_denied: str = "Plan is expired"
    asleep_plan: AsleepPlan = field(default_factory=AsleepPlan)

    def to_json(self) -> dict[str, Any]:
        return {
            "api_key": self.api_key,
            "kintsugi": self.kintsugi,
            "asleep": self.asleep,
            "asleep_denied": self.asleep_denied,
            "asleep_plan": self.asleep_plan.to_json(),
        }


class Tenants:
    """Looks keys up. ``open`` registries accept any non-empty key."""

    def __init__(
        self, keys: dict[str, Tenant] | None = None, *, default_plan: AsleepPlan | None = None
    ):
        self.open = keys is None
        self._keys = keys or {}
        self._default_plan = default_plan or AsleepPlan()
        self._cache: dict[str, Tenant] = {}

    def lookup(self, api_key: str | None) -> Tenant | None:
        """The tenant for a key, or None when the key is missing or unknown (a 401)."""
        if not api_key:
            return None
        if not self.open:
            return self._keys.get(api_key)
        tenant = self._cache.get(api_key)
        if tenant is None:
            if len(self._cache) > 10_000:
                self._cache.clear()
            tenant = self._cache[api_key] = Tenant(api_key, asleep_plan=self._default_plan)
        return tenant

    def listed(self) -> list[Tenant]:
        return list(self._keys.values())

    @classmethod
    def from_file(cls, path: str | Path, *, default_plan: AsleepPlan | None = None) -> Tenants:
        text = Path(path).read_text(encoding="utf-8")
        doc = json.loads(text) if str(path).endswith(".json") else tomllib.loads(text)
        return cls.from_document(doc, default_plan=default_plan)

    @classmethod
    def from_document(
        cls, doc: dict[str, Any], *, default_plan: AsleepPlan | None = None
    ) -> Tenants:
        keys = doc.get("keys")
        if not isinstance(keys, dict) or not keys:
            raise ValueError("tenant config needs a non-empty [keys] table")
        base = default_plan or AsleepPlan()
        return cls({k: _tenant(k, v, base) for k, v in keys.items()}, default_plan=base)


def _tenant(api_key: str, entry: Any, base: AsleepPlan) -> Tenant:
    if not isinstance(entry, dict):
        raise ValueError(f"keys.{api_key} must be a table")
    unknown = set(entry) - {"kintsugi", "asleep", "asleep_denied", "asleep_plan"}
    if unknown:
        raise ValueError(f"keys.{api_key}: unknown entries {', '.join(sorted(unknown))}")
    denied = entry.get("asleep_denied", "Plan is expired")
    if denied not in ASLEEP_DENIALS:
        raise ValueError(f"keys.{api_key}.asleep_denied must be one of {', '.join(ASLEEP_DENIALS)}")
    plan_entry = entry.get("asleep_plan", {})
    known = {f.name for f in fields(AsleepPlan)}
    if not isinstance(plan_entry, dict) or set(plan_entry) - known:
        raise ValueError(f"keys.{api_key}.asleep_plan takes {', '.join(sorted(known))}")
    plan = AsleepPlan(**{**base.to_json(), **plan_entry})
    return Tenant(
        api_key,
        kintsugi=bool(entry.get("kintsugi", True)),
        asleep=bool(entry.get("asleep", True)),
        asleep_denied=denied,
        asleep_plan=plan,
    )
