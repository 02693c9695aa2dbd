"""How Asleep's state plugs into the runtime: rules per tenant, events, advance, tick.

* ``rules_for`` - what a request of one API key is judged by: the seed, the key's
  plan, the settings and the *current* progression policy (``PUT
  /_emulator/progression`` may change it while running, so it is read every time).
* ``publish`` - hand a state view's pending events to the hooks in
  ``Runtime.extras["asleep.event_hooks"]`` (``(api_key, event) -> None``): webhook
  delivery (issue 6) plugs in there.
* ``advancer`` - the ``Runtime.advancers["asleep"]`` function behind ``POST
  /_emulator/advance``: finish CLOSED sessions now.
* ``tick`` - apply the passage of virtual time to every session (24-hour cap,
  ``seconds`` progression) without waiting for a read, e.g. from an
  ``on_clock_change`` hook or a background timer.
"""

from __future__ import annotations

from collections.abc import Callable

from emulator.asleep.models import AsleepState, Event, Rules, state_of
from emulator.runtime import Advancer, Runtime
from emulator.tenants import Tenant

EVENT_HOOKS = "asleep.event_hooks"
EventHook = Callable[[str, Event], None]


def rules_for(rt: Runtime, tenant: Tenant) -> Rules:
    return Rules(
        rt.store.seed,
        tenant.api_key,
        tenant.asleep_plan,
        rt.settings.asleep,
        rt.progression("asleep"),
    )


def now_of(rt: Runtime) -> int:
    """The virtual clock in whole seconds (Asleep renders whole seconds)."""
    return int(rt.clock.timestamp() // 1)


def publish(rt: Runtime, api_key: str, state: AsleepState) -> None:
    """Hand the state's pending events, oldest first, to every registered hook."""
    events = state.drain()
    hooks: list[EventHook] = rt.extras.get(EVENT_HOOKS, [])
    for event in events:
        for hook in hooks:
            hook(api_key, event)


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
    """Let virtual time act on every session now (and publish what it caused)."""
    now = now_of(rt)
    for tenant, state in _tenants(rt, api_key):
        state.tick(rules_for(rt, tenant), now)
        publish(rt, tenant.api_key, state)
