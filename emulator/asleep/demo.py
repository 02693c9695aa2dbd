"""Asleep's demo data: users with weeks of COMPLETE nights of one sleeper profile each.

Four users, each with two to four weeks of nights of one profile (good_sleeper,
insomnia, severe_unstable_breathing, heavy_snorer) in their own time zone, every
30-second chunk received. Everything goes through the model's own operations
(``AsleepState``), never raw table writes, each made at the virtual moment it
"happened" (a night's chunks as it ends, its close a minute later). The data is a
pure function of the seed and the virtual clock: the last night ended at least an
hour before now. ``emulator.control.demo`` loads it (``Vendor.load_demo``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from emulator.asleep import models as asleep_models
from emulator.asleep import wiring as asleep_wiring
from emulator.asleep.profiles import Profile
from emulator.core.randomness import rng
from emulator.core.runtime import Runtime

EPOCH: Final = 30


@dataclass(frozen=True, slots=True)
class Sleeper:
    profile: Profile
    zone: str
    nights: int
    bedtime_minutes: int  # local time of going to bed, minutes after midnight (may be > 24 h)
    hours_in_bed: float
    metadata: dict[str, Any]


_META: Final[dict[str, Any]] = {
    "birth_year": 1991,
    "birth_month": 4,
    "birth_day": 12,
    "gender": "female",
    "height": 164.5,
    "weight": 55.0,
}
SLEEPERS: Final = (
    Sleeper(Profile.GOOD_SLEEPER, "Asia/Seoul", 28, 22 * 60 + 45, 8.0, _META),
    Sleeper(
        Profile.INSOMNIA,
        "America/New_York",
        21,
        23 * 60 + 30,
        7.5,
        {**_META, "birth_year": 1978, "gender": "male", "height": 178.0, "weight": 82.3},
    ),
    Sleeper(
        Profile.SEVERE_UNSTABLE_BREATHING,
        "Europe/Berlin",
        14,
        23 * 60,
        7.0,
        {**_META, "birth_year": 1965, "gender": "male", "height": 172.0, "weight": 96.4},
    ),
    Sleeper(
        Profile.HEAVY_SNORER,
        "UTC",
        14,
        23 * 60 + 15,
        7.5,
        {**_META, "birth_year": 1983, "gender": "non_binary", "height": 169.0, "weight": 74.8},
    ),
)


def load(rt: Runtime, api_key: str) -> dict[str, Any]:
    """Add the demo users and nights to ``api_key``'s (just reset) state; a summary."""
    return {"users": _load_asleep(rt, api_key, int(rt.clock.timestamp()))}


def _load_asleep(rt: Runtime, api_key: str, now: int) -> list[dict[str, Any]]:
    tenant = rt.tenants.lookup(api_key)
    assert tenant is not None
    # History completes as it happened, whatever the current progression policy.
    rules = replace(asleep_wiring.rules_for(rt, tenant), policy=asleep_models.IMMEDIATE)
    state = asleep_models.state_of(rt.store.namespace(api_key))
    seed = rt.store.seed
    summary: list[dict[str, Any]] = []
    for index, sleeper in enumerate(SLEEPERS):
        nights = _nights(seed, index, sleeper, now)
        first_start = nights[0][0]
        user = state.create_user(rules, first_start - 2 * 86400, dict(sleeper.metadata))
        state.set_profile(user, sleeper.profile)
        for start, epochs in nights:
            session = state.create_session(
                rules,
                start,
                user,
                start_time=start,
                created_timezone=sleeper.zone,
                service="NOSERVICE",
                inference_type="MELSPECTROGRAM",
                callback_url=None,
                callback_version=None,
            )
            end = start + epochs * EPOCH
            # Every chunk 0 .. epochs-1, by the upload rules, written once (not per chunk).
            state.fill(rules, end, session, epochs)
            state.close(
                rules, end + 60, session, end_time=None, unexpected=False, callback_url=None
            )
        zone = ZoneInfo(sleeper.zone)
        summary.append(
            {
                "user_id": user.user_id,
                "profile": sleeper.profile.value,
                "timezone": sleeper.zone,
                "sessions": len(nights),
                "first_night": _local_date(nights[0][0], zone).isoformat(),
                "last_night": _local_date(nights[-1][0], zone).isoformat(),
            }
        )
    # History, not news: these nights must not fire webhooks now.
    state.drain()
    return summary


def _nights(seed: int, index: int, sleeper: Sleeper, now: int) -> list[tuple[int, int]]:
    """(start, epochs) of each night, oldest first; the last one ended >= 1 h before now."""
    zone = ZoneInfo(sleeper.zone)
    today = _local_date(now, zone)
    found: list[tuple[int, int]] = []
    back = 1
    while len(found) < sleeper.nights:
        day = today - timedelta(days=back)
        back += 1
        stream = rng(seed, "demo", "asleep", index, day.isoformat())
        bedtime = sleeper.bedtime_minutes + stream.randint(-40, 60)
        local = datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(minutes=bedtime)
        start = int(local.timestamp()) + stream.randint(0, 59)
        hours = sleeper.hours_in_bed + stream.uniform(-0.6, 0.6)
        epochs = int(hours * 3600) // EPOCH
        if start + epochs * EPOCH + 3600 > now:
            continue  # tonight is not over yet
        found.append((start, epochs))
    found.reverse()
    return found


def _local_date(ts: int, zone: ZoneInfo) -> date:
    return datetime.fromtimestamp(ts, zone).date()
