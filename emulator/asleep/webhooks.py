"""Asleep webhooks (issue 6): session events in, queued callback deliveries out.

This module owns turning the events the vendor rules produce (``models``:
``InferenceComplete``, ``SessionComplete``) into HTTP callbacks handed to the
outbox (``emulator.core.outbox``), which sends, retries and logs them. It decides, per
event (asleep-api.md §4.6; seed 000, the v1.0 Callback page):

* whether to send at all: only when the session has a ``callback_url`` (given on
  create, upload or close, §3.5; the event carries the one set when it happened);
* the payload version: the session's ``callback_version``, else the API key's plan
  (``AsleepPlan.webhook_version``), else V3 (``callbacks.resolve_version``);
* the stage arrays of an ``INFERENCE_COMPLETE``: the real-time view the Data API
  serves at that moment (``analysis.analysed_night``: 2-stage on the Basic plan,
  ``breath``/``osa`` null without breathing), sliced to the window by
  ``callbacks.inference_complete``. The final result rewrites the last epochs
  (the profile's wake tail, ``night.final_night``), so the last windows of a
  night need not equal the final stages; every earlier window does;
* the ``SESSION_COMPLETE`` body: the Get Session ``result`` rendered by the very
  code behind ``GET /data/v3/sessions/{id}`` (V3, V2) or ``/data/v2`` (V1), in
  UTC, right after the session turned COMPLETE -- so it equals what a GET returns
  at that moment -- plus ``user_id`` (``callbacks.session_complete``);
* the headers ``x-api-key`` and ``x-user-id`` (seed 000 §1.2).

Everything is a pure function of the stored state, so the same seed and requests
give the same bodies. ``install`` subscribes the handler to Asleep's events on the
runtime's event bus (``wiring.publish`` publishes them at the end of every request
that produced events); the synthetic-night control call uses ``deliver_events``
directly, to learn the delivery ids.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, Final

from emulator.asleep import schemas
from emulator.asleep.analysis import analysed_night
from emulator.asleep.callbacks import (
    DATA_API_FOR_VERSION,
    INFERENCE_COMPLETE,
    SESSION_COMPLETE,
    SessionStages,
    Version,
    callback_headers,
    inference_complete,
    resolve_version,
    session_complete,
)
from emulator.asleep.entities import Session
from emulator.asleep.events import Event, InferenceComplete, SessionComplete
from emulator.asleep.night import osa_stages
from emulator.asleep.rules import Rules
from emulator.asleep.state import AsleepState, state_of
from emulator.asleep.wiring import rules_for
from emulator.core.outbox import Delivery
from emulator.core.runtime import Runtime
from emulator.core.secrets import mask

log = logging.getLogger("emulator.asleep.webhooks")

RENDER_ZONE: Final = "UTC"
"""SESSION_COMPLETE timestamps: the doc example is in UTC; §4.6 leaves it open (§9.19)."""
_DATA_API_VERSION: Final[dict[str, int]] = {"/data/v2": 2, "/data/v3": 3}


EventHandler = Callable[[str, Event], None]


def install(rt: Runtime) -> EventHandler:
    """Subscribe the webhook handler to Asleep's events; returns it."""
    handler = event_handler(rt)
    rt.events.subscribe(InferenceComplete, handler)
    rt.events.subscribe(SessionComplete, handler)
    return handler


def event_handler(rt: Runtime) -> EventHandler:
    """``(api_key, event) -> None``: queue the event's callback, if it has a URL."""

    def on_event(api_key: str, event: Event) -> None:
        if event.callback_url is None:
            return
        # Called from a request's ``finally``: an exception here would turn the
        # answer into a 500 for something the client did right. Log it instead.
        try:
            tenant = rt.tenants.lookup(api_key)
            if tenant is None:
                log.info("no callback for %s: API key %s is gone", event.session_id, mask(api_key))
                return
            deliver_events(rt, api_key, [event], rules_for(rt, tenant))
        except Exception:
            log.exception("could not queue the callback for session %s", event.session_id)

    return on_event


def deliver_events(
    rt: Runtime, api_key: str, events: Iterable[Event], rules: Rules
) -> list[tuple[Event, Delivery]]:
    """Queue a callback for each event that has a URL, in order; the deliveries made.

    ``rules`` is what the session was analysed with (normally the API key's plan;
    the synthetic night may override the cadence). Stage arrays are computed once
    per session for the whole batch: nothing changes between its events.
    """
    outbox = rt.outbox
    state = state_of(rt.store.namespace(api_key))
    stages: dict[str, SessionStages] = {}
    queued: list[tuple[Event, Delivery]] = []
    for event in events:
        url = event.callback_url
        if url is None:
            continue
        session = state.sessions.get(event.session_id)
        if session is None:  # deleted before its event was published
            log.info("no callback for %s: the session is gone", event.session_id)
            continue
        version = resolve_version(event.callback_version, rules.plan.webhook_version)
        name, body = payload(state, rules, session, event, version, stages)
        delivery = outbox.submit(
            api_key=api_key,
            session_id=session.session_id,
            user_id=session.user_id,
            event=name,
            url=url,
            body=body,
            headers=callback_headers(api_key, session.user_id),
        )
        queued.append((event, delivery))
    return queued


def payload(
    state: AsleepState,
    rules: Rules,
    session: Session,
    event: Event,
    version: Version,
    stages: dict[str, SessionStages] | None = None,
) -> tuple[str, dict[str, Any]]:
    """The event name and callback body of one event, as of now."""
    if isinstance(event, InferenceComplete):
        memo = {} if stages is None else stages
        found = memo.get(session.session_id)
        if found is None:
            found = memo[session.session_id] = realtime_stages(state, rules, session)
        body = inference_complete(
            version,
            user_id=session.user_id,
            session_id=session.session_id,
            window=event.inference_seq_num,
            stages=found,
        )
        return INFERENCE_COMPLETE, body
    result = schemas.session_result(
        state,
        rules,
        session,
        version=_DATA_API_VERSION[DATA_API_FOR_VERSION[version]],
        zone=RENDER_ZONE,
    )
    body = session_complete(
        version, user_id=session.user_id, session_id=session.session_id, result=result
    )
    return SESSION_COMPLETE, body


def realtime_stages(state: AsleepState, rules: Rules, session: Session) -> SessionStages:
    """The stage arrays a real-time Data API read of this plan shows now.

    The same arrays as ``GET /data/v3`` (``sleep_stages``, ``breath_stages``,
    ``snoring_stages``) and ``/data/v2`` (``osa_stages``) of an OPEN session --
    whether or not the plan allows real-time *polling*: the webhook is a push, and
    the analysis behind it runs either way (INFERRED, asleep-api.md §4.1 item 3).
    """
    night = analysed_night(state, rules, session)
    if night is None:
        # No window fires before the first analysis; an event without one is a bug.
        raise ValueError(f"session {session.session_id} has no analysed epochs yet")
    breathing = rules.plan.breathing
    return SessionStages(
        sleep=night.sleep.tolist(),
        breath=night.breath.tolist() if breathing else None,
        snoring=night.snoring.tolist(),
        # v1/v2 ``osa_stages`` of the analysed prefix, as /data/v2 derives them: an
        # isolated unstable epoch at the prefix's end reads as a hypopnea until the
        # next window shows whether the run goes on (§2.3 INFERRED mapping).
        osa=osa_stages(night.breath).tolist() if breathing else None,
    )
