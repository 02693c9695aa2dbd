"""What one Asleep request is judged by: ``Rules`` (seed, tenant, plan, settings).

Also the magic ``service`` value ``emulator:<profile>`` that picks a night's profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from emulator.asleep.callbacks import first_window_for
from emulator.asleep.entities import SECONDS_PER_EPOCH
from emulator.asleep.peculiarities import Thresholds
from emulator.asleep.profiles import Profile
from emulator.asleep.settings import AsleepPlan, AsleepSettings
from emulator.core.lifecycle import ProgressionPolicy

SERVICE_PROFILE_PREFIX: Final = "emulator:"
"""Magic ``service`` value ``emulator:<profile>`` picks the night's profile."""
IMMEDIATE: Final = ProgressionPolicy("immediate")


@dataclass(frozen=True, slots=True)
class Rules:
    """What one request is judged by: the seed, the tenant, its plan and the settings."""

    seed: int
    tenant: str
    plan: AsleepPlan
    settings: AsleepSettings
    # CLOSED -> COMPLETE; the runtime's current policy (it can change while running).
    policy: ProgressionPolicy = IMMEDIATE

    @property
    def thresholds(self) -> Thresholds:
        s = self.settings
        return Thresholds(
            min_analysable_seconds=s.min_analysis_seconds,
            max_analysable_seconds=s.max_session_seconds,
            defect_threshold=s.defect_threshold,
        )

    @property
    def first_window(self) -> int:
        """The first analysis window (3 for the documented 20 minutes)."""
        return first_window_for(self.settings.min_analysis_seconds)

    @property
    def max_epochs(self) -> int:
        """The 24-hour cap in chunks: seq_num 0 .. 2879 (§2.1)."""
        return self.settings.max_session_seconds // SECONDS_PER_EPOCH


def service_profile(service: str) -> Profile | None:
    """The profile named by a magic ``service`` value, if it is one."""
    if not service.startswith(SERVICE_PROFILE_PREFIX):
        return None
    return Profile(service[len(SERVICE_PROFILE_PREFIX) :])  # ValueError if unknown
