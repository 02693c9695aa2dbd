"""The emulator's Asleep controls under ``/_emulator/asleep``, and the scenario list.

Not part of Asleep's API: these let a test choose what a night looks like.

* ``PUT /_emulator/asleep/users/{user_id}/profile`` ``{"profile": "insomnia"}``
  (``null`` restores the seeded default); ``GET`` shows the effective profile.
* ``PUT /_emulator/asleep/sessions/{session_id}/hypnogram``
  ``{"sleep_stages": [...], "breath_stages"?: [...], "snoring_stages"?: [...]}``
  makes an exact night the session's result; ``DELETE`` removes it.
* ``POST /_emulator/asleep/sessions/{session_id}/complete`` finishes the analysis
  of a CLOSED session now (for ``progression = manual``).
* ``POST /_emulator/asleep/users/{user_id}/nights`` ``{"callback_url": ...}`` plays
  a whole synthetic night for the user -- a real session, every epoch uploaded,
  closed, COMPLETE -- and queues all its webhooks (issue 6), for backends that only
  test the receiving side. Contract: ``night`` below and docs/webhooks.md (the
  synthetic night).
* Magic input: a session created with ``service = "emulator:<profile>"``.

The tenant is named by the ``x-api-key`` header, as on the vendor API (``?api_key=``
is accepted as an alias, ``emulator.core.control_tenant``). Errors use the control
shape ``{"error", "message"}``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from emulator.asleep import errors, timefmt, webhooks
from emulator.asleep.callbacks import (
    Version,
    resolve_version,
    valid_callback_url,
)
from emulator.asleep.entities import SECONDS_PER_EPOCH, Hypnogram, Session, User
from emulator.asleep.events import InferenceComplete
from emulator.asleep.profiles import Profile, default_profile_for
from emulator.asleep.rules import SERVICE_PROFILE_PREFIX
from emulator.asleep.settings import CADENCES
from emulator.asleep.state import AsleepState, state_of
from emulator.asleep.wiring import dispatch, now_of, publish, rules_for
from emulator.core import jsonin
from emulator.core.control_tenant import named_tenant
from emulator.core.errors import ControlError
from emulator.core.runtime import runtime

MAX_HYPNOGRAM_EPOCHS: Final = 2 * 2880  # 48 h: room for TOO_LONG_FOR_ANALYSIS
DEFAULT_NIGHT_HOURS: Final = 8.0
NIGHT_FIELDS: Final = ("callback_url", "version", "hours", "start_time", "profile", "cadence")

_PROFILE_TEXT: Final = {
    Profile.NORMAL: "an ordinary adult night (~7 h asleep, a few short awakenings)",
    Profile.GOOD_SLEEPER: "quick sleep onset, long consolidated sleep, high sleep_index",
    Profile.INSOMNIA: "long sleep latency, many and long awakenings, short sleep",
    Profile.NEVER_SLEPT: "all wake: peculiarity NEVER_SLEPT, stat with the documented nulls",
    Profile.MILD_UNSTABLE_BREATHING: "breathing_pattern MILDLY_UNSTABLE_BREATH (breathing plan)",
    Profile.MODERATE_UNSTABLE_BREATHING: "breathing_pattern MODERATELY_UNSTABLE_BREATH",
    Profile.SEVERE_UNSTABLE_BREATHING: "breathing_pattern SEVERELY_UNSTABLE_BREATH",
    Profile.HEAVY_SNORER: "snoring through much of the night (snoring_ratio ~0.3-0.5)",
}


class _Context:
    def __init__(self, request: Request) -> None:
        rt = runtime(request)
        api_key = named_tenant(request)
        tenant = rt.tenants.lookup(api_key)
        if tenant is None:
            raise ControlError(
                "send the tenant's API key in the x-api-key header",
                status_code=401,
                error_code="unauthorized",
            )
        self.rt = rt
        self.rules = rules_for(rt, tenant)
        self.state: AsleepState = state_of(rt.store.namespace(tenant.api_key))
        self.now = now_of(rt)


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = jsonin.loads(await request.body() or b"null")
    except jsonin.JsonInputError as exc:
        raise ControlError(
            f"the body must be a JSON object ({exc})", error_code="invalid_body"
        ) from None
    if not isinstance(body, dict):
        raise ControlError("the body must be a JSON object", error_code="invalid_body")
    return body


def _user(ctx: _Context, request: Request) -> User:
    user_id = request.path_params["user_id"]
    user = ctx.state.users.get(user_id)
    if user is None:
        raise ControlError(
            f"no user {user_id} for this API key", status_code=404, error_code="not_found"
        )
    return user


def _session(ctx: _Context, request: Request) -> Session:
    session_id = request.path_params["session_id"]
    session = ctx.state.sessions.get(session_id)
    if session is None:
        raise ControlError(
            f"no session {session_id} for this API key", status_code=404, error_code="not_found"
        )
    return session


def _profile_view(ctx: _Context, user_id: str, chosen: str | None) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "profile": chosen or default_profile_for(ctx.rules.seed, user_id).value,
        "source": "control" if chosen else "default",
    }


async def profile(request: Request) -> Response:
    ctx = _Context(request)
    user = _user(ctx, request)
    if request.method == "PUT":
        name = (await _body(request)).get("profile")
        try:
            chosen = None if name is None else Profile(name)
        except ValueError:
            options = ", ".join(p.value for p in Profile)
            raise ControlError(
                f"profile must be one of {options} (or null)", error_code="invalid_profile"
            ) from None
        ctx.state.set_profile(user, chosen)
    return JSONResponse(_profile_view(ctx, user.user_id, user.profile))


def _stage_list(body: dict[str, Any], key: str, allowed: range, required: bool) -> list[int] | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if (
        not isinstance(value, list)
        or not all(isinstance(v, int) and not isinstance(v, bool) and v in allowed for v in value)
        or len(value) > MAX_HYPNOGRAM_EPOCHS
    ):
        codes = f"{allowed.start}..{allowed.stop - 1}"
        raise ControlError(
            f"{key} must be a list of at most {MAX_HYPNOGRAM_EPOCHS} integers in {codes}",
            error_code="invalid_hypnogram",
        )
    return value


async def hypnogram(request: Request) -> Response:
    ctx = _Context(request)
    session = _session(ctx, request)
    if request.method == "DELETE":
        ctx.state.hypnograms.delete(session.session_id)
        ctx.state.forget(session.session_id)
        return Response(status_code=204)
    body = await _body(request)
    sleep = _stage_list(body, "sleep_stages", range(-1, 4), True)
    breath = _stage_list(body, "breath_stages", range(-1, 2), False)
    snoring = _stage_list(body, "snoring_stages", range(-1, 2), False)
    assert sleep is not None
    for name, other in (("breath_stages", breath), ("snoring_stages", snoring)):
        if other is not None and len(other) != len(sleep):
            raise ControlError(
                f"{name} must have as many epochs as sleep_stages", error_code="invalid_hypnogram"
            )
    ctx.state.inject(ctx.rules, ctx.now, session, Hypnogram.of(sleep, breath, snoring))
    return JSONResponse(
        {
            "session_id": session.session_id,
            "epochs": len(sleep),
            "state": session.state.value,
            "end_time_from_hypnogram": not session.end_explicit,
        }
    )


async def complete(request: Request) -> Response:
    ctx = _Context(request)
    session = _session(ctx, request)
    ctx.state.force_complete(ctx.rules, ctx.now, session)
    publish(ctx.rt, ctx.rules.tenant, ctx.state)
    return JSONResponse({"session_id": session.session_id, "state": session.state.value})


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


async def night(request: Request) -> Response:
    """Play a whole night for a user and queue every callback it causes, in order.

    Through the real rules (the session is an ordinary one afterwards: the Data API
    lists and serves it): create (an OPEN session of the user is ended, or 409 under
    ``open_session_policy = conflict``), every chunk ``0 .. epochs-1`` uploaded,
    closed, analysis finished whatever the progression mode. Each firing window's
    INFERENCE_COMPLETE and then SESSION_COMPLETE are queued at once; the outbox
    delivers them in that order, in the background.
    """
    ctx = _Context(request)
    user = _user(ctx, request)
    spec = night_request(await _body(request), ctx.rules.settings.max_session_seconds)
    plan = ctx.rules.plan
    # The cadence override shapes this night's windows only; nothing else reads it
    # once the session is COMPLETE.
    rules = replace(
        ctx.rules, plan=replace(plan, cadence_minutes=spec.cadence or plan.cadence_minutes)
    )
    now = ctx.now
    start = now - spec.epochs * SECONDS_PER_EPOCH if spec.start_time is None else spec.start_time
    service = "NOSERVICE" if spec.profile is None else SERVICE_PROFILE_PREFIX + spec.profile.value
    try:
        session = ctx.state.create_session(
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
        dispatch(ctx.rt, ctx.rules.tenant, ctx.state.drain())
        raise ControlError(
            f"user {user.user_id} has an OPEN session (open_session_policy = conflict)",
            status_code=409,
            error_code="session_open",
        ) from None
    ctx.state.fill(rules, now, session, spec.epochs)
    ctx.state.close(rules, now, session, end_time=None, unexpected=False, callback_url=None)
    ctx.state.force_complete(rules, now, session)  # no-op when already COMPLETE
    events = ctx.state.drain()
    # Another session's events (the OPEN one this create ended) go the usual way.
    dispatch(ctx.rt, ctx.rules.tenant, [e for e in events if e.session_id != session.session_id])
    mine = [e for e in events if e.session_id == session.session_id]
    queued = webhooks.deliver_events(ctx.rt, ctx.rules.tenant, mine, rules)
    assert session.end_time is not None
    return JSONResponse(
        {
            "session_id": session.session_id,
            "user_id": user.user_id,
            "state": session.state.value,
            "version": resolve_version(spec.version, plan.webhook_version),
            "cadence_minutes": rules.plan.cadence_minutes,
            "profile": ctx.state.profile_of(rules, session).value,
            "epochs": spec.epochs,
            "start_time": timefmt.render(session.start_time, UTC),
            "end_time": timefmt.render(session.end_time, UTC),
            "callback_url": spec.callback_url,
            "deliveries": [
                {
                    "id": delivery.id,
                    "event": delivery.event,
                    "seq_num": event.seq_num if isinstance(event, InferenceComplete) else None,
                    "inference_seq_num": (
                        event.inference_seq_num if isinstance(event, InferenceComplete) else None
                    ),
                    "status": delivery.status,
                }
                for event, delivery in queued
            ],
        },
        status_code=201,
    )


control_routes: list[BaseRoute] = [
    Route("/users/{user_id}/profile", profile, methods=["GET", "PUT"]),
    Route("/users/{user_id}/nights", night, methods=["POST"]),
    Route("/sessions/{session_id}/hypnogram", hypnogram, methods=["PUT", "DELETE"]),
    Route("/sessions/{session_id}/complete", complete, methods=["POST"]),
]


def scenarios() -> list[dict[str, Any]]:
    """Everything a test can choose about Asleep, for ``GET /_emulator/scenarios``."""
    found: list[dict[str, Any]] = [
        {
            "name": f"asleep-profile-{p.value}",
            "kind": "control",
            "description": f"Profile {p.value}: {_PROFILE_TEXT[p]}.",
            "example": {
                "method": "PUT",
                "path": "/_emulator/asleep/users/{user_id}/profile",
                "headers": {"x-api-key": "<key>"},
                "body": {"profile": p.value},
            },
        }
        for p in Profile
    ]
    found += [
        {
            "name": "asleep-service-profile",
            "kind": "magic-input",
            "description": (
                "Create a session with service 'emulator:<profile>' to generate that one "
                "night with the profile, whatever the user's profile is."
            ),
            "example": {
                "method": "POST",
                "path": "/ai/v1/sessions",
                "body": {"service": f"{SERVICE_PROFILE_PREFIX}{Profile.INSOMNIA.value}"},
            },
        },
        {
            "name": "asleep-hypnogram",
            "kind": "control",
            "description": (
                "Make an exact stage list (-1..3; optional breath/snoring -1..1) the "
                "session's result. Unless the session was closed with an explicit "
                "end_time, the list's length also sets end_time (start + 30 s each)."
            ),
            "example": {
                "method": "PUT",
                "path": "/_emulator/asleep/sessions/{session_id}/hypnogram",
                "headers": {"x-api-key": "<key>"},
                # The night behind the documented stat example (asleep-api.md §3.7.1).
                "body": {"sleep_stages": [0] * 30 + [1] * 18 + [0] * 6 + [1] * 18 + [0] * 48},
            },
        },
        {
            "name": "asleep-profile-get",
            "kind": "control",
            "description": "A user's effective profile and whether a control call chose it.",
            "example": {
                "method": "GET",
                "path": "/_emulator/asleep/users/{user_id}/profile",
                "headers": {"x-api-key": "<key>"},
            },
        },
        {
            "name": "asleep-hypnogram-remove",
            "kind": "control",
            "description": "Drop an injected night: the session's own night comes back.",
            "example": {
                "method": "DELETE",
                "path": "/_emulator/asleep/sessions/{session_id}/hypnogram",
                "headers": {"x-api-key": "<key>"},
            },
        },
        {
            "name": "asleep-complete",
            "kind": "control",
            "description": (
                "Finish the analysis of a CLOSED session now (progression 'manual', "
                "or to skip a 'polls'/'seconds' wait)."
            ),
            "example": {
                "method": "POST",
                "path": "/_emulator/asleep/sessions/{session_id}/complete",
                "headers": {"x-api-key": "<key>"},
            },
        },
        {
            "name": "asleep-synthetic-night",
            "kind": "control",
            "description": (
                "Play a whole night for a user without uploading audio: a real session "
                "(the Data API serves it afterwards), every epoch filled, closed, COMPLETE, "
                "and every webhook queued in order: INFERENCE_COMPLETE per analysis "
                "window, then SESSION_COMPLETE. Optional: version (V1/V2/V3), hours "
                "(default 8, at most 24), start_time (default: ending now), profile, "
                "cadence (5/20/40 minutes). Answers the session_id and the delivery ids."
            ),
            "example": {
                "method": "POST",
                "path": "/_emulator/asleep/users/{user_id}/nights",
                "headers": {"x-api-key": "<key>"},
                "body": {
                    "callback_url": "http://127.0.0.1:9000/asleep-webhook",
                    "version": "V3",
                    "hours": 7.5,
                },
            },
        },
        {
            "name": "asleep-plan",
            "kind": "control",
            "description": (
                "Per-key plan in the --config file: asleep_plan.four_stage (false: 2-stage), "
                "breathing (false: NO_BREATHING_STABILITY), realtime (false: "
                "NO_REALTIME_POLLING); asleep = false answers 403 with asleep_denied."
            ),
            "example": {"config": '[keys."k".asleep_plan]\nfour_stage = false'},
        },
        {
            "name": "callback-failures",
            "kind": "control",
            "description": (
                "Make the emulator's own webhook deliveries misbehave to test a receiver's "
                "idempotency: drop (not sent, retried later), fail_after_send (sent, then "
                "retried: the receiver sees duplicates) or duplicate (every success sent "
                "twice)."
            ),
            "example": (
                "PUT /_emulator/callbacks/failures "
                '{"mode": "fail_after_send", "remaining": 1, "api_key": "my-key"}'
            ),
        },
    ]
    return found
