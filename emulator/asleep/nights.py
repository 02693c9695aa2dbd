"""The synthetic night: ``POST /_emulator/asleep/users/{user_id}/nights``.

Plays a whole night for a user -- a real session, every epoch uploaded, closed,
COMPLETE -- and queues all its webhooks (issue 6), for backends that only test the
receiving side. This module owns the body's validation (``night_request``, every
problem a 400 ``invalid_night``) and the play-through (``night``); contract:
docs/webhooks.md (the synthetic night).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from emulator.asleep import errors, timefmt, webhooks
from emulator.asleep.callbacks import Version, resolve_version, valid_callback_url
from emulator.asleep.control_tenant import ControlTenant, json_object, path_user
from emulator.asleep.entities import SECONDS_PER_EPOCH, Session, User
from emulator.asleep.events import Event, InferenceComplete
from emulator.asleep.profiles import Profile
from emulator.asleep.rules import SERVICE_PROFILE_PREFIX, Rules
from emulator.asleep.settings import CADENCES
from emulator.asleep.wiring import dispatch
from emulator.core.errors import ControlError
from emulator.core.outbox import Delivery

DEFAULT_NIGHT_HOURS: Final = 8.0
NIGHT_FIELDS: Final = ("callback_url", "version", "hours", "start_time", "profile", "cadence")


@dataclass(frozen=True, slots=True)
class NightRequest:
    """A validated ``POST /users/{user_id}/nights`` body."""

    callback_url: str
    version: Version | None  # None: the API key's plan decides (as on create)
    epochs: int
    start_time: int | None  # None: the night ends now
    profile: Profile | None  # None: the user's profile
    cadence: int | None  # None: the API key's plan


def _bad_night(message: str) -> ControlError:
    return ControlError(message, error_code="invalid_night")


def night_request(body: dict[str, Any], max_seconds: int) -> NightRequest:
    """Check a synthetic-night body; every problem is a 400 ``invalid_night``."""
    unknown = sorted(set(body) - set(NIGHT_FIELDS))
    if unknown:
        raise _bad_night(f"unknown field(s) {', '.join(unknown)}; use {', '.join(NIGHT_FIELDS)}")
    url = body.get("callback_url")
    if not isinstance(url, str) or not valid_callback_url(url):
        raise ControlError(
            "callback_url is required: an absolute http(s) URL with a host",
            error_code="invalid_callback_url",
        )
    version: Version | None = None
    if body.get("version") is not None:
        raw = body["version"]
        try:
            version = resolve_version(raw) if isinstance(raw, str) and raw else None
        except ValueError:
            version = None
        if version is None:
            raise _bad_night("version must be V1, V2 or V3")
    hours = body.get("hours", DEFAULT_NIGHT_HOURS)
    max_hours = max_seconds / 3600
    if (
        not isinstance(hours, int | float)
        or isinstance(hours, bool)
        or not math.isfinite(hours)
        or not 0 < hours <= max_hours
    ):
        raise _bad_night(f"hours must be a number above 0 and at most {max_hours:g}")
    # One epoch per 30 s; at least one, and never past the 24-hour cap (§2.1).
    epochs = min(max(1, round(hours * 3600 / SECONDS_PER_EPOCH)), max_seconds // SECONDS_PER_EPOCH)
    start: int | None = None
    if body.get("start_time") is not None:
        raw_start = body["start_time"]
        start = timefmt.parse_instant(raw_start) if isinstance(raw_start, str) else None
        if start is None:
            raise _bad_night('start_time must be an ISO 8601 instant, e.g. "2025-01-14T22:00:00Z"')
    chosen: Profile | None = None
    if body.get("profile") is not None:
        try:
            chosen = Profile(body["profile"])
        except ValueError:
            options = ", ".join(p.value for p in Profile)
            raise _bad_night(f"profile must be one of {options}") from None
    cadence = body.get("cadence")
    if cadence is not None and (
        not isinstance(cadence, int) or isinstance(cadence, bool) or cadence not in CADENCES
    ):
        raise _bad_night(f"cadence must be one of {', '.join(map(str, CADENCES))} (minutes)")
    return NightRequest(url, version, epochs, start, chosen, cadence)


def _night_rules(t: ControlTenant, spec: NightRequest) -> Rules:
    # The cadence override shapes this night's windows only; nothing else reads it
    # once the session is COMPLETE.
    plan = t.rules.plan
    return replace(
        t.rules, plan=replace(plan, cadence_minutes=spec.cadence or plan.cadence_minutes)
    )


def _start_night(t: ControlTenant, rules: Rules, user: User, spec: NightRequest) -> Session:
    """Create the night's session (an OPEN one of the user is ended, or 409)."""
    now = t.now
    start = now - spec.epochs * SECONDS_PER_EPOCH if spec.start_time is None else spec.start_time
    service = "NOSERVICE" if spec.profile is None else SERVICE_PROFILE_PREFIX + spec.profile.value
    try:
        return t.state.create_session(
            rules,
            now,
            user,
            start_time=start,
            created_timezone=timefmt.DEFAULT_ZONE,
            service=service,
            inference_type="MELSPECTROGRAM",
            callback_url=spec.callback_url,
            callback_version=spec.version,
        )
    except errors.PreviousSessionOpen:
        dispatch(t.rt, t.rules.tenant, t.state.drain())
        raise ControlError(
            f"user {user.user_id} has an OPEN session (open_session_policy = conflict)",
            status_code=409,
            error_code="session_open",
        ) from None


def _delivery_view(event: Event, delivery: Delivery) -> dict[str, Any]:
    inference = event if isinstance(event, InferenceComplete) else None
    return {
        "id": delivery.id,
        "event": delivery.event,
        "seq_num": None if inference is None else inference.seq_num,
        "inference_seq_num": None if inference is None else inference.inference_seq_num,
        "status": delivery.status,
    }


async def night(request: Request) -> Response:
    """Play a whole night for a user and queue every callback it causes, in order.

    Through the real rules (the session is an ordinary one afterwards: the Data API
    lists and serves it): create (an OPEN session of the user is ended, or 409 under
    ``open_session_policy = conflict``), every chunk ``0 .. epochs-1`` uploaded,
    closed, analysis finished whatever the progression mode. Each firing window's
    INFERENCE_COMPLETE and then SESSION_COMPLETE are queued at once; the outbox
    delivers them in that order, in the background.
    """
    t = ControlTenant(request)
    user = path_user(t, request)
    spec = night_request(await json_object(request), t.rules.settings.max_session_seconds)
    rules = _night_rules(t, spec)
    session = _start_night(t, rules, user, spec)
    t.state.fill(rules, t.now, session, spec.epochs)
    t.state.close(rules, t.now, session, end_time=None, unexpected=False, callback_url=None)
    t.state.force_complete(rules, t.now, session)  # no-op when already COMPLETE
    events = t.state.drain()
    # Another session's events (the OPEN one this create ended) go the usual way.
    dispatch(t.rt, t.rules.tenant, [e for e in events if e.session_id != session.session_id])
    mine = [e for e in events if e.session_id == session.session_id]
    queued = webhooks.deliver_events(t.rt, t.rules.tenant, mine, rules)
    assert session.end_time is not None
    return JSONResponse(
        {
            "session_id": session.session_id,
            "user_id": user.user_id,
            "state": session.state.value,
            "version": resolve_version(spec.version, t.rules.plan.webhook_version),
            "cadence_minutes": rules.plan.cadence_minutes,
            "profile": t.state.profile_of(rules, session).value,
            "epochs": spec.epochs,
            "start_time": timefmt.render(session.start_time, UTC),
            "end_time": timefmt.render(session.end_time, UTC),
            "callback_url": spec.callback_url,
            "deliveries": [_delivery_view(event, delivery) for event, delivery in queued],
        },
        status_code=201,
    )
