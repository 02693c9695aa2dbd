"""The per-app runtime: every piece of live state, reachable from a request.

``create_app`` builds one ``Runtime`` and hangs it on ``app.state.runtime``; nothing
lives in module globals, so two apps in one process never share anything.

Two kinds of state live here, and the control plane treats them differently:

* world state - the store's tables, the seed and the virtual clock: kept in the state
  file, carried by snapshots;
* configuration made at run time - fault rules and progression policies: never
  persisted or snapshotted; a full ``reset`` puts them (and the clock) back to what
  the settings say, so every test on a shared emulator starts from the same place.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from starlette.requests import HTTPConnection

from emulator.core.clock import Clock, parse_instant
from emulator.core.faults import Faults
from emulator.core.journal import Journal
from emulator.core.lifecycle import ProgressionPolicy
from emulator.core.store import Store
from emulator.core.tenants import Tenants
from emulator.core.vendors import Vendor, vendor_for
from emulator.settings import Settings

# fn(api_key or None for every tenant, session id or None for every session) -> how
# many pending jobs it finished. Each vendor with asynchronous work registers one.
Advancer = Callable[[str | None, str | None], int]


class Service(Protocol):
    """Something with background work, started and stopped with the app."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    store: Store
    tenants: Tenants
    journal: Journal
    vendors: tuple[Vendor, ...]
    services: list[Service] = field(default_factory=list)
    # Called with the API key (or None for everything) after the store is reset or
    # restored from a snapshot: drop anything derived from the old tables.
    on_reset: list[Callable[[str | None], None]] = field(default_factory=list)
    # Called once the app has started, e.g. to load demo data.
    on_startup: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # Called after the clock was set, advanced, frozen or resumed through the control
    # API, a reset or a restore: timers waiting on virtual time should look again.
    on_clock_change: list[Callable[[], None]] = field(default_factory=list)
    faults: Faults = field(default_factory=Faults)
    advancers: dict[str, Advancer] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    _progressions: dict[str, ProgressionPolicy] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._progressions = self.default_progressions()

    # ------------------------------------------------------------------ progression
    def default_progressions(self) -> dict[str, ProgressionPolicy]:
        """The policies the settings give (``kintsugi.progression*``, ``asleep.progression*``)."""
        k, a = self.settings.kintsugi, self.settings.asleep
        return {
            "kintsugi": ProgressionPolicy(
                k.progression, k.progression_polls, k.progression_seconds
            ),
            "asleep": ProgressionPolicy(a.progression, a.progression_polls, a.progression_seconds),
        }

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
            start = self.settings.clock_start
            self.clock.restart(
                parse_instant(start) if start else None, frozen=self.settings.clock_frozen
            )
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

    def restore(self, document: Any, api_key: str | None = None) -> None:
        """Load a snapshot: ValueError (nothing changed) when it is malformed."""
        clock = _snapshot_clock(document) if api_key is None else None
        self.store.restore(document, api_key)
        if clock is not None:
            instant, frozen = clock
            if frozen:
                self.clock.freeze()
            else:
                self.clock.resume()
            self.clock.set(instant)
            self.clock_changed()
        for hook in self.on_reset:
            hook(api_key)

    def vendor_for(self, path: str) -> Vendor | None:
        return vendor_for(self.vendors, path)


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
