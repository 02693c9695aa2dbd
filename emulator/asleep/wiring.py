"""How Asleep's state plugs into the runtime: rules per tenant, events, advance, tick.

* ``rules_for`` - what a request of one API key is judged by: the seed, the key's
  plan, the settings and the *current* progression policy (``PUT
  /_emulator/progression`` may change it while running, so it is read every time).
* ``publish`` - hand a state view's pending events to the runtime's event bus
  (``rt.events``); webhook delivery (``webhooks``) subscribes there.
* ``advancer`` - the ``Runtime.advancers["asleep"]`` function behind ``POST
  /_emulator/advance``: finish CLOSED sessions now.
* ``tick`` - apply the passage of virtual time to every session (24-hour cap,
  ``seconds`` progression) without waiting for a read;
* ``Ticker`` - the Runtime service that calls ``tick`` every ``TICK_SECONDS`` of
  real time and after every clock change, so time-driven completions (and their
  ``SESSION_COMPLETE`` webhooks, issue 6) happen even when nobody reads the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import Iterable
from typing import Final

from emulator.asleep.events import Event
from emulator.asleep.rules import Rules
from emulator.asleep.settings import AsleepAccess
from emulator.asleep.state import AsleepState, state_of
from emulator.asleep.vendor import asleep_of
from emulator.core.lifecycle import ProgressionPolicy
from emulator.core.runtime import Advancer, Runtime
from emulator.core.tenants import Tenant

log = logging.getLogger("emulator.asleep")

TICK_SECONDS: Final = 0.5
"""Real seconds between two background ticks: a ``seconds`` progression or the
24-hour cap is noticed at most this late (the virtual clock renders whole seconds)."""


def rules_for(rt: Runtime, tenant: Tenant) -> Rules:
    return Rules(
        rt.store.seed,
        tenant.api_key,
        tenant.access(AsleepAccess).plan,
        asleep_of(rt).settings,
        rt.progression("asleep"),
    )


def now_of(rt: Runtime) -> int:
    """The virtual clock in whole seconds (Asleep renders whole seconds)."""
    return int(rt.clock.timestamp() // 1)


def publish(rt: Runtime, api_key: str, state: AsleepState) -> None:
    """Hand the state's pending events, oldest first, to every registered hook."""
    dispatch(rt, api_key, state.drain())


def dispatch(rt: Runtime, api_key: str, events: Iterable[Event]) -> None:
    """Publish already drained events, in order, on the runtime's event bus."""
    for event in events:
        rt.events.publish(api_key, event)


def _tenants(rt: Runtime, api_key: str | None) -> list[tuple[Tenant, AsleepState]]:
    found = []
    for key in [api_key] if api_key is not None else rt.store.tenants():
        tenant = rt.tenants.lookup(key)
        if tenant is not None:
            found.append((tenant, state_of(rt.store.namespace(key))))
    return found


def advancer(rt: Runtime) -> Advancer:
    """``rt.advancers["asleep"]``: complete CLOSED sessions now; how many it finished."""

    def advance(api_key: str | None, session_id: str | None) -> int:
        finished = 0
        now = now_of(rt)
        for tenant, state in _tenants(rt, api_key):
            rules = rules_for(rt, tenant)
            for session in list(state.sessions.values()):
                if session_id is not None and session.session_id != session_id:
                    continue
                finished += state.force_complete(rules, now, session)
            publish(rt, tenant.api_key, state)
        return finished

    return advance


def tick(rt: Runtime, api_key: str | None = None) -> None:
    """Let virtual time act on every session now (and publish what it caused).

    Serialised by a lock: the background ticker and a test calling ``tick`` from its
    own thread must not complete one session twice (two ``SESSION_COMPLETE``).
    """
    with asleep_of(rt).tick_lock:
        # One unit of change: with --state-url, replicas ticking at once complete a
        # session (and queue its SESSION_COMPLETE) once, not once each.
        rt.store.atomic(lambda: _tick(rt, api_key))


def _tick(rt: Runtime, api_key: str | None) -> None:
    now = now_of(rt)
    for tenant, state in _tenants(rt, api_key):
        if state.active:
            state.tick(rules_for(rt, tenant), now)
        if state.outbox:
            publish(rt, tenant.api_key, state)


class Ticker:
    """A Runtime ``Service``: ``tick`` every ``interval`` real seconds and on clock changes.

    Without it a session in ``seconds`` progression only turns COMPLETE (and the
    24-hour cap only ends an OPEN session) when something reads it; its webhook
    would wait for that read. The timer tick is skipped while neither the virtual
    second nor the progression policy changed since the last one -- nothing can
    have come due then (closes and force-completes are applied on the spot) -- so a
    frozen clock costs nothing. Clock changes (``rt.on_clock_change``), resets and
    restores always tick, on the app's event loop, after the change is done.
    """

    def __init__(self, rt: Runtime, interval: float = TICK_SECONDS) -> None:
        self.rt = rt
        self.interval = interval
        self.ticks = 0  # ticks that ran (for tests and diagnostics)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._last: tuple[int, ProgressionPolicy] | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = self._loop.create_task(self._run(), name="asleep ticker")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._loop = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self.check()

    def check(self, *, force: bool = False) -> bool:
        """Tick unless nothing can have come due since the last tick; whether it ticked."""
        key = (now_of(self.rt), self.rt.progression("asleep"))
        if not force and key == self._last:
            return False
        self._last = key
        try:
            tick(self.rt)
        except Exception:  # the ticker must outlive a bug in one tick
            log.exception("asleep tick failed")
        self.ticks += 1
        return True

    def poke(self, *_: object) -> None:
        """``on_clock_change`` / ``on_reset`` hook: tick soon, on the app's loop.

        Deferred with ``call_soon``: the change that called us finishes first (a
        reset clears the old deliveries before the tick can add new ones), and the
        loop runs the tick before any request that arrives afterwards.
        """
        loop = self._loop
        if loop is None or loop.is_closed():
            self.check(force=True)  # not serving: nothing runs concurrently
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        # A context of its own: the tick is not part of the request that poked it.
        clean = contextvars.Context()
        try:
            if running is loop:
                loop.call_soon(self._forced, context=clean)
            else:
                loop.call_soon_threadsafe(self._forced, context=clean)
        except RuntimeError:  # the loop closed meanwhile: nothing runs on it any more
            self.check(force=True)

    def _forced(self) -> None:
        self.check(force=True)


def install_ticker(rt: Runtime) -> Ticker:
    """Register the ticker as a service and on clock changes, resets and restores."""
    ticker = Ticker(rt)
    rt.services.append(ticker)
    rt.on_clock_change.append(ticker.poke)
    rt.on_reset.append(ticker.poke)
    return ticker
