"""The per-app runtime: every piece of live state, and the interface vendors plug into.

``create_app`` builds one ``Runtime`` and hangs it on the app; nothing lives in module
globals, so two apps in one process never share anything. Everything here is typed:
a reader (or mypy) can follow any piece of state from a request to where it is made.

Two kinds of state live here, and the control plane treats them differently:

* world state - the store's tables, the seed and the virtual clock: kept in the state
  file, carried by snapshots;
* configuration made at run time - fault rules and progression policies: never
  persisted or snapshotted; a full ``reset`` puts them (and the clock) back to where
  the app started, so every test on a shared emulator starts from the same place.

A vendor is a ``Vendor``: its routes, error shape, body limit, default progression,
the tenant-file section it reads, its OpenAPI part, its scenarios and demo data. A
vendor package subclasses it to carry its own live state (its settings section, locks)
and finds itself again with ``rt.vendor(ItsClass)``: a typed lookup, not a string key.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from starlette.requests import HTTPConnection
from starlette.routing import BaseRoute

from emulator.core.clock import Clock, parse_instant
from emulator.core.errors import ErrorShape
from emulator.core.events import EventBus
from emulator.core.faults import Faults
from emulator.core.journal import Journal
from emulator.core.lifecycle import ProgressionPolicy
from emulator.core.openapi import ApiPart
from emulator.core.outbox import Outbox
from emulator.core.store import PreparedRestore, Store
from emulator.core.tenants import AccessSection, Tenants

Json = dict[str, Any]
# fn(api_key or None for every tenant, session id or None for every session) -> how
# many pending jobs it finished. Each vendor with asynchronous work registers one.
Advancer = Callable[[str | None, str | None], int]
V = TypeVar("V", bound="Vendor")


class Service(Protocol):
    """Something with background work, started and stopped with the app."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Vendor:
    """What a vendor package hands the app. Subclasses add the vendor's live state."""

    def __init__(
        self,
        *,
        name: str,
        title: str,
        prefixes: tuple[str, ...],
        routes: Sequence[BaseRoute],
        errors: ErrorShape,
        max_body_bytes: int,
        progression: ProgressionPolicy,
        access: AccessSection[Any],
        control_routes: Sequence[BaseRoute] = (),
        install: Callable[[Runtime], None] | None = None,
        scenarios: Callable[[], list[Json]] | None = None,
        api_part: Callable[[], ApiPart] | None = None,
        demo: Callable[[Runtime, str, str], Json] | None = None,
        summary: Callable[[Runtime, str], dict[str, int]] | None = None,
        warm: tuple[str, ...] = (),
    ) -> None:
        self.name = name
        self.title = title
        self.prefixes = prefixes
        self.routes = routes
        self.errors = errors
        self.max_body_bytes = max_body_bytes
        self.progression = progression
        self.access = access
        # Extra control endpoints, mounted by the control plane under /_emulator/<name>/.
        self.control_routes = control_routes
        self._install = install
        self._scenarios = scenarios
        self._api_part = api_part
        self._demo = demo
        self._summary = summary
        # Heavy modules this vendor imports lazily, loaded in the background after start-up.
        self.warm = warm
        # The prefixes without their slash, computed once: ``serves`` runs per request.
        self._exact = frozenset(p.rstrip("/") for p in prefixes)

    def serves(self, path: str) -> bool:
        """Whether ``path`` is under one of the prefixes (or is one, without its slash)."""
        return path.startswith(self.prefixes) or path in self._exact

    def install(self, rt: Runtime) -> None:
        """Called once with the app's runtime: register advancers, event handlers, services."""
        if self._install is not None:
            self._install(rt)

    def scenarios(self) -> list[Json]:
        """Magic inputs and controls, listed by ``GET /_emulator/scenarios``."""
        return self._scenarios() if self._scenarios is not None else []

    def api_part(self) -> ApiPart | None:
        """This vendor's part of the OpenAPI document."""
        return self._api_part() if self._api_part is not None else None

    def load_demo(self, rt: Runtime, api_key: str, receiver: str) -> Json | None:
        """Add this vendor's demo data to ``api_key``'s (just reset) state; a summary.

        ``receiver``: the URL the demo's webhooks went to (the emulator's own)."""
        return self._demo(rt, api_key, receiver) if self._demo is not None else None

    def summary(self, rt: Runtime, api_key: str) -> dict[str, int]:
        """What ``api_key`` holds, as counts by name (e.g. ``{"users": 4, "sessions":
        77}``), for ``GET /_emulator/overview``; only asked about keys with state."""
        return self._summary(rt, api_key) if self._summary is not None else {}


def vendor_for(vendors: Sequence[Vendor], path: str) -> Vendor | None:
    """The vendor whose API ``path`` is in, or None (the control API, unknown paths)."""
    for vendor in vendors:
        if vendor.serves(path):
            return vendor
    return None


@dataclass
class Runtime:
    clock: Clock
    store: Store
    tenants: Tenants
    journal: Journal
    outbox: Outbox
    vendors: tuple[Vendor, ...]
    # Where a full reset puts the clock: the start instant (None: the wall clock) and
    # whether it is frozen there.
    clock_start: datetime | None = None
    clock_frozen: bool = False
    events: EventBus = field(default_factory=EventBus)
    faults: Faults = field(default_factory=Faults)
    services: list[Service] = field(default_factory=list)
    advancers: dict[str, Advancer] = field(default_factory=dict)
    # Called with the API key (or None for everything) after the store is reset or
    # restored from a snapshot: drop anything derived from the old tables.
    on_reset: list[Callable[[str | None], None]] = field(default_factory=list)
    # Called once the app has started, e.g. to load demo data.
    on_startup: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # Called after the clock was set, advanced, frozen or resumed through the control
    # API, a reset or a restore: timers waiting on virtual time should look again.
    on_clock_change: list[Callable[[], None]] = field(default_factory=list)
    _progressions: dict[str, ProgressionPolicy] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._progressions = self.default_progressions()
        self.services.append(self.outbox)
        self.on_reset.append(self.outbox.reset)

    # ------------------------------------------------------------------ vendors
    def vendor(self, kind: type[V]) -> V:
        """This app's vendor of class ``kind`` (a vendor package finding its own state)."""
        for vendor in self.vendors:
            if isinstance(vendor, kind):
                return vendor
        raise LookupError(f"no {kind.__name__} in this app")

    def vendor_for(self, path: str) -> Vendor | None:
        return vendor_for(self.vendors, path)

    # ------------------------------------------------------------------ progression
    def default_progressions(self) -> dict[str, ProgressionPolicy]:
        """Each vendor's policy from its settings section (``<vendor>.progression*``)."""
        return {vendor.name: vendor.progression for vendor in self.vendors}

    def progression(self, vendor: str) -> ProgressionPolicy:
        """How ``vendor``'s asynchronous work advances now; read it at every poll."""
        return self._progressions[vendor]

    def progressions(self) -> dict[str, ProgressionPolicy]:
        return dict(self._progressions)

    def set_progression(self, vendor: str, policy: ProgressionPolicy) -> None:
        if vendor not in self._progressions:
            raise KeyError(vendor)
        self._progressions[vendor] = policy

    # ------------------------------------------------------------------ clock
    def restore_saved_clock(self) -> bool:
        """Put the clock where the state file left it; False when it holds none."""
        saved = self.store.backend.get_meta("clock")
        if saved is None:
            self.clock_changed()  # a new state file records where the world starts
            return False
        self.clock.load(saved)
        return True

    def clock_changed(self) -> None:
        """Persist the clock (state file) and tell whoever waits on virtual time."""
        if self.store.backend.persistent:
            self.store.backend.put_meta("clock", self.clock.to_json())
        for hook in self.on_clock_change:
            hook()

    # ------------------------------------------------------------------ reset, snapshot
    def reset(self, api_key: str | None = None) -> None:
        """Forget one API key's state and fault rules, or go back to start-up entirely."""
        self.store.reset(api_key)
        self.journal.clear(api_key)
        if api_key is None:
            self.faults.clear()
            self._progressions = self.default_progressions()
            self.clock.restart(self.clock_start, frozen=self.clock_frozen)
            self.clock_changed()
        else:
            self.faults.clear(api_key)
        for hook in self.on_reset:
            hook(api_key)

    def snapshot(self, api_key: str | None = None) -> dict[str, Any]:
        """The world as one JSON document; with ``api_key`` one tenant, without the clock."""
        document = self.store.snapshot(api_key)
        if api_key is None:
            document["clock"] = self.clock.state().to_json()
        return document

    def prepare_restore(
        self, document: Any, api_key: str | None = None, *, owned: bool = False
    ) -> RestorePlan:
        """Check a snapshot and make it ready (ValueError when malformed). Changes
        nothing, so it may run in a worker thread, as may ``store.write_restore``."""
        # Checked whole, even the clock a one-key restore leaves alone.
        clock = _snapshot_clock(document)
        if api_key is not None:
            clock = None
            document = _one_tenant(document, api_key)
        prepared = self.store.prepare_restore(document, api_key, owned=owned)
        return RestorePlan(api_key, prepared, clock)

    def finish_restore(self, plan: RestorePlan) -> None:
        """Swap a prepared (and written) snapshot in, on the event loop."""
        self.store.apply_restore(plan.store)
        if plan.clock is not None:
            instant, frozen = plan.clock
            if frozen:
                self.clock.freeze()
            else:
                self.clock.resume()
            self.clock.set(instant)
            self.clock_changed()
        for hook in self.on_reset:
            hook(plan.api_key)


@dataclass(frozen=True, slots=True)
class RestorePlan:
    """A snapshot checked by ``Runtime.prepare_restore``, its clock included."""

    api_key: str | None
    store: PreparedRestore
    clock: tuple[datetime, bool] | None


def _one_tenant(document: Any, api_key: str) -> Any:
    """A whole-world snapshot restored into one key gives that key its own part."""
    tenants = document.get("tenants") if isinstance(document, dict) else None
    if isinstance(tenants, dict) and len(tenants) > 1 and api_key in tenants:
        return {**document, "tenants": {api_key: tenants[api_key]}}
    return document


def _snapshot_clock(document: Any) -> tuple[datetime, bool] | None:
    """The clock of a snapshot document, checked before anything is restored."""
    raw = document.get("clock") if isinstance(document, dict) else None
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("now"), str):
        raise ValueError('\'clock\' must be {"now": <ISO 8601 instant>, "frozen": <bool>}')
    frozen = raw.get("frozen", False)
    if not isinstance(frozen, bool):
        raise ValueError("clock.frozen must be true or false")
    try:
        return parse_instant(raw["now"]), frozen
    except ValueError:
        raise ValueError(f"clock.now is not an ISO 8601 instant: {raw['now']!r}") from None


def attach(app: Any, rt: Runtime) -> None:
    """Hang ``rt`` on ``app``: as ``app.state.runtime``, and as a plain attribute that
    ``runtime`` reads on every request (``State`` answers through ``__getattr__``,
    which showed in the benchmark's profile)."""
    app.state.runtime = rt
    app.emulator_runtime = rt


def runtime(connection: HTTPConnection) -> Runtime:
    """The runtime of the app serving this request."""
    found: Runtime = connection.scope["app"].emulator_runtime
    return found
