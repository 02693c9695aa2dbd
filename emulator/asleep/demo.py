"""Asleep's part of the demo data set: users with weeks of nights, and their webhook history.

``load(rt, api_key, receiver)`` fills one API key (already reset) with:

* one user per ``SLEEPERS`` entry, each a profile (good sleeper, insomnia, unstable
  breathing as in sleep apnea, heavy snorer, an ordinary sleeper, one who never
  sleeps) in their own time zone, with one to four weeks of COMPLETE nights;
* the ordinary sleeper also has a night with a missing stretch (the phone's
  microphone stopped for a while: those epochs are ``-1``) and an afternoon nap too
  short to analyse (``TOO_SHORT_FOR_ANALYSIS``);
* for the last two nights of each user, the ``SESSION_COMPLETE`` webhook as it was
  delivered: mostly at the first attempt, a few after a failed one, one given up
  after every attempt failed (``receiver``: where the demo's webhooks went).

Everything goes through the model operations, each call at the virtual moment it
"happened"; the data is a pure function of the seed and the clock: the last night
ended at least an hour before now. ``emulator.control.demo`` loads it
(``Vendor.load_demo``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from emulator.asleep import webhooks, wiring
from emulator.asleep.callbacks import callback_headers, resolve_version
from emulator.asleep.entities import Session, User
from emulator.asleep.events import SessionComplete
from emulator.asleep.profiles import Profile
from emulator.asleep.rules import IMMEDIATE, Rules
from emulator.asleep.state import AsleepState, state_of
from emulator.core.outbox import Attempt, Delivery, Outbox
from emulator.core.randomness import rng
from emulator.core.runtime import Runtime

EPOCH: Final = 30
WEBHOOK_NIGHTS: Final = 2  # the last N nights of each user had a callback URL


@dataclass(frozen=True, slots=True)
class Sleeper:
    profile: Profile
    zone: str
    nights: int
    bedtime_minutes: int  # local time of going to bed, minutes after midnight (may be > 24 h)
    hours_in_bed: float
    metadata: dict[str, Any]
    gap_night: int | None = None  # 1 = the last night: that night misses a stretch of audio
    nap: bool = False  # one afternoon session too short to analyse

    @property
    def sessions(self) -> int:
        return self.nights + self.nap


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
    Sleeper(
        Profile.NORMAL,
        "Europe/London",
        7,
        23 * 60 + 10,
        7.8,
        {**_META, "birth_year": 1996, "height": 158.0, "weight": 51.2},
        gap_night=2,
        nap=True,
    ),
    Sleeper(
        Profile.NEVER_SLEPT,
        "Australia/Sydney",
        7,
        22 * 60 + 30,
        6.5,
        {**_META, "birth_year": 1959, "gender": "male", "height": 181.0, "weight": 88.0},
    ),
)
NAP_EPOCHS: Final = 24  # 12 minutes: under the 20 minutes analysis needs (asleep-api.md §4.2)
GAP_EPOCHS: Final = (300, 352)  # ~2.5 h into the night, 26 minutes without audio


def load(rt: Runtime, api_key: str, receiver: str) -> dict[str, Any]:
    """Fill ``api_key`` (already reset) with the Asleep demo; a summary of its users."""
    return {"users": _load(rt, api_key, int(rt.clock.timestamp()), receiver)}


def _load(rt: Runtime, api_key: str, now: int, receiver: str) -> list[dict[str, Any]]:
    tenant = rt.tenants.lookup(api_key)
    assert tenant is not None
    # History completes as it happened, whatever the current progression policy.
    rules = replace(wiring.rules_for(rt, tenant), policy=IMMEDIATE)
    state = state_of(rt.store.namespace(api_key))
    history: list[Session] = []
    summary: list[dict[str, Any]] = []
    for index, sleeper in enumerate(SLEEPERS):
        nights = _nights(rt.store.seed, index, sleeper, now)
        user = state.create_user(rules, nights[0][0] - 2 * 86400, dict(sleeper.metadata))
        state.set_profile(user, sleeper.profile)
        for n, (start, epochs) in enumerate(nights):
            from_end = len(nights) - n
            if sleeper.nap and from_end == 3:
                _nap(state, rules, user, sleeper.zone, start)
            url = receiver if from_end <= WEBHOOK_NIGHTS else None
            gap = GAP_EPOCHS if sleeper.gap_night == from_end else None
            session = _night(state, rules, user, sleeper.zone, start, epochs, url, gap)
            if url is not None:
                history.append(session)
        zone = ZoneInfo(sleeper.zone)
        summary.append(
            {
                "user_id": user.user_id,
                "profile": sleeper.profile.value,
                "timezone": sleeper.zone,
                "sessions": sleeper.sessions,
                "first_night": _local_date(nights[0][0], zone).isoformat(),
                "last_night": _local_date(nights[-1][0], zone).isoformat(),
            }
        )
    # History, not news: these nights must not fire webhooks now; their deliveries
    # are written to the log as they went.
    state.drain()
    _webhook_history(rt.outbox, state, rules, history, receiver)
    return summary


def _night(
    state: AsleepState,
    rules: Rules,
    user: User,
    zone: str,
    start: int,
    epochs: int,
    url: str | None,
    gap: tuple[int, int] | None,
) -> Session:
    session = state.create_session(
        rules,
        start,
        user,
        start_time=start,
        created_timezone=zone,
        service="NOSERVICE",
        inference_type="MELSPECTROGRAM",
        callback_url=url,
        callback_version=None,
    )
    end = start + epochs * EPOCH
    if gap is None:
        # Every chunk 0 .. epochs-1, by the upload rules, written once (not per chunk).
        state.fill(rules, end, session, epochs)
    else:
        for seq_num in range(epochs):
            if not gap[0] <= seq_num < gap[1]:
                state.upload(rules, end, session, seq_num, None)
    state.close(rules, end + 60, session, end_time=None, unexpected=False, callback_url=None)
    return session


def _nap(state: AsleepState, rules: Rules, user: User, zone: str, night_start: int) -> None:
    """A 12-minute afternoon session, the day before the night starting ``night_start``."""
    local = datetime.fromtimestamp(night_start, ZoneInfo(zone))
    start = int(local.replace(hour=15, minute=20, second=0).timestamp())
    _night(state, rules, user, zone, start, NAP_EPOCHS, None, None)


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


# --------------------------------------------------------------------------- webhooks


def _webhook_history(
    outbox: Outbox, state: AsleepState, rules: Rules, sessions: list[Session], receiver: str
) -> None:
    """Log each session's SESSION_COMPLETE delivery as it went: most at once, every
    third after one refused attempt, one never (its receiver kept answering 503)."""
    sessions = sorted(sessions, key=lambda s: s.complete_time or 0)
    for n, session in enumerate(sessions):
        assert session.complete_time is not None
        assert session.callback_url is not None
        event = SessionComplete(session.user_id, session.session_id, session.callback_url, None)
        version = resolve_version(None, rules.plan.webhook_version)
        name, body = webhooks.payload(state, rules, session, event, version)
        failing = n == len(sessions) - 3
        delivery = outbox.new_delivery(
            api_key=rules.tenant,
            session_id=session.session_id,
            user_id=session.user_id,
            event=name,
            url=receiver + "?status=503" if failing else receiver,
            body=body,
            headers=callback_headers(rules.tenant, session.user_id),
        )
        delivery.created_at = float(session.complete_time)
        stream = rng(rules.seed, "demo", "webhook", n)
        failures = outbox.settings.max_attempts if failing else (1 if n % 3 == 1 else 0)
        _attempts(outbox, delivery, failures, stream)
        outbox.log.add(delivery)


def _attempts(outbox: Outbox, delivery: Delivery, failures: int, stream: random.Random) -> None:
    at = delivery.created_at
    for number in range(1, min(failures + 1, outbox.settings.max_attempts) + 1):
        latency = stream.uniform(6.0, 45.0)
        failed = number <= failures
        attempt = Attempt(
            number,
            at,
            latency,
            "failed" if failed else "delivered",
            status=503 if failed else 200,
            error="receiver answered HTTP 503" if failed else None,
            error_kind="http_status" if failed else None,
            response_excerpt='{"received":false}' if failed else '{"received":true}',
        )
        delivery.attempts.append(attempt)
        if failed and number < outbox.settings.max_attempts:
            attempt.retry_in_seconds = outbox.retry_delay(delivery.id, number)
            at += latency / 1000 + attempt.retry_in_seconds
    if failures >= outbox.settings.max_attempts:
        delivery.status = "failed"
        delivery.note = f"gave up after {outbox.settings.max_attempts} attempts"
    else:
        delivery.status = "delivered"
    delivery.finished_at = at + delivery.attempts[-1].latency_ms / 1000
