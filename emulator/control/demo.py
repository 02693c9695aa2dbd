"""Demo data: a few users with weeks of history, so every read endpoint shows something.

``load_demo(rt, api_key="demo-key")`` replaces one API key's state with:

* Asleep: four users, each with two to four weeks of COMPLETE nights of one sleeper
  profile (good_sleeper, insomnia, severe_unstable_breathing, heavy_snorer) in their
  own time zone, every 30-second chunk received;
* Kintsugi: three patients with several v2 predictions each over the same weeks
  (unified, depression binary/severity and anxiety models, one recording that failed
  the audio guardrails), most with feedback (depression_binary, phq_2, phq_9, gad_7).

Everything goes through the vendors' own model operations (``AsleepState`` and
``KintsugiState``), never raw table writes, each call made at the virtual moment it
"happened" (a night's chunks as it ends, its close a minute later). The data
is a pure function of the seed and the virtual clock: the last night ended at least
an hour before ``rt.clock.now()``.

Wiring: ``--demo`` (``Settings.demo``) loads it at start-up unless the key already
has state (a state file from an earlier run); ``POST /_emulator/demo[?api_key=K]``
loads it on demand (``routes``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from emulator.asleep import models as asleep_models
from emulator.asleep import wiring as asleep_wiring
from emulator.asleep.profiles import Profile
from emulator.core.errors import ControlError
from emulator.core.lifecycle import ProgressionPolicy
from emulator.core.randomness import rng, token
from emulator.core.runtime import Runtime, runtime
from emulator.kintsugi import models as kintsugi_models
from emulator.kintsugi.outcomes import AUDIO_MESSAGES
from emulator.kintsugi.scores import MODELS

log = logging.getLogger("emulator.control.demo")

DEMO_API_KEY: Final = "demo-key"
EPOCH: Final = 30
# Forcing a v2 prediction finished needs a policy under which it is not yet done.
_MANUAL: Final = ProgressionPolicy("manual")


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


@dataclass(frozen=True, slots=True)
class Patient:
    user_id: str
    metadata: dict[str, Any]
    # (model, feedback kinds) per prediction, oldest first; None model = a failed recording.
    predictions: tuple[tuple[str | None, tuple[str, ...]], ...]


PATIENTS: Final = (
    Patient(
        "demo-patient-1",
        {"age": 34, "gender": "female", "zipcode": "94110", "language": True, "weight": 140},
        (
            ("unified", ("phq_9", "gad_7")),
            ("unified", ("phq_2",)),
            ("depression_binary", ("depression_binary",)),
            ("unified", ("phq_9", "gad_7")),
            ("unified", ()),
        ),
    ),
    Patient(
        "demo-patient-2",
        {"age": 52, "gender": "male", "race": "asian", "weight": 180},
        (
            ("depression_severity", ("phq_9",)),
            ("anxiety_severity", ("gad_7",)),
            ("unified", ("depression_binary", "phq_2")),
            ("unified", ()),
        ),
    ),
    Patient(
        "demo-patient-3",
        {"age": 27, "ethnicity": "Hispanic, Latino, or Spanish Origin"},
        (
            ("unified", ("phq_2", "gad_7")),
            (None, ()),
            ("unified", ("depression_binary", "phq_9", "gad_7")),
            ("depression_binary", ()),
            ("unified", ("phq_9",)),
            ("unified", ()),
        ),
    ),
)
_ANSWERS: Final = {"phq_2": 2, "phq_9": 9, "gad_7": 7}


class DemoError(ValueError):
    """The demo data cannot be loaded for this key (e.g. not a configured key)."""


def load_demo(rt: Runtime, api_key: str = DEMO_API_KEY) -> dict[str, Any]:
    """Replace ``api_key``'s state with the demo data set; a summary of what was made."""
    tenant = rt.tenants.lookup(api_key)
    if tenant is None:
        raise DemoError(f"{api_key!r} is not a key of the tenant config")
    started = time.perf_counter()
    rt.reset(api_key)
    now = int(rt.clock.timestamp())
    asleep = _load_asleep(rt, tenant.api_key, now)
    kintsugi = _load_kintsugi(rt, tenant.api_key, now)
    seconds = time.perf_counter() - started
    log.info("demo data loaded for API key %r in %.2f s", api_key, seconds)
    return {
        "api_key": api_key,
        "asleep": {"users": asleep},
        "kintsugi": {"users": kintsugi},
        "seconds": round(seconds, 3),
    }


def has_state(rt: Runtime, api_key: str = DEMO_API_KEY) -> bool:
    """Whether the key already holds anything (then start-up does not overwrite it)."""
    return bool(rt.store.snapshot(api_key)["tenants"])


# --------------------------------------------------------------------------- Asleep


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


# --------------------------------------------------------------------------- Kintsugi


def _load_kintsugi(rt: Runtime, api_key: str, now: int) -> list[dict[str, Any]]:
    state = kintsugi_models.state_of(rt.store.namespace(api_key))
    seed = rt.store.seed
    summary: list[dict[str, Any]] = []
    for p_index, patient in enumerate(PATIENTS):
        count = len(patient.predictions)
        with_feedback = 0
        for n, (model_name, feedback) in enumerate(patient.predictions):
            stream = rng(seed, "demo", "kintsugi", p_index, n)
            # Spread over the last four weeks, a few days apart, oldest first.
            at = now - (count - n) * 5 * 86400 + stream.randint(-36000, 36000)
            session = state.initiate(
                seed=seed,
                user_id=patient.user_id,
                consent=True,
                metadata=dict(patient.metadata),
                api_version=2,
                now=float(at),
            )
            model = MODELS[model_name or "unified"]
            error = None
            fingerprint: str | None = token(seed, "demo", "recording", p_index, n, length=16)
            if model_name is None:
                code = "insufficient_audio_length"
                error = {"error": code, "message": AUDIO_MESSAGES[code]}
                fingerprint = None
            state.submit(
                session,
                seed=seed,
                model=model,
                outcome=state.outcome_for(session),
                fingerprint=fingerprint,
                error=error,
                api_version=2,
                now=float(at + 20),
            )
            state.advance(session.session_id, _MANUAL, float(at + 20 + stream.randint(4, 12)))
            for k, kind in enumerate(feedback):
                state.give_feedback(
                    session, kind, _feedback_value(stream, kind), float(at + 86400 + 60 * k)
                )
            with_feedback += bool(feedback)
        summary.append(
            {"user_id": patient.user_id, "predictions": count, "with_feedback": with_feedback}
        )
    return summary


def _feedback_value(stream: Any, kind: str) -> Any:
    if kind == "depression_binary":
        return stream.choice(("false", "true", "additional_consideration_required"))
    return [stream.randint(0, 3) for _ in range(_ANSWERS[kind])]


# --------------------------------------------------------------------------- wiring


def install(rt: Runtime) -> None:
    """``--demo``: load at start-up, unless a state file already holds the key's data."""

    async def load_on_startup() -> None:
        if has_state(rt):
            log.info("demo data not loaded: API key %r already has state", DEMO_API_KEY)
            return
        load_demo(rt)

    rt.on_startup.append(load_on_startup)


async def post_demo(request: Request) -> Response:
    api_key = request.query_params.get("api_key", DEMO_API_KEY)
    if not api_key:
        raise ControlError("api_key must not be empty; omit it for demo-key")
    try:
        summary = load_demo(runtime(request), api_key)
    except DemoError as exc:
        raise ControlError(str(exc)) from None
    return JSONResponse(summary)


routes: list[BaseRoute] = [Route("/demo", post_demo, methods=["POST"])]
