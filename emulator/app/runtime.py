"""Building one app's ``Runtime`` from settings: clock, store (and its backend), tenants,
journal, outbox, and with ``--state-url`` their shared Redis counterparts.

A state file or shared world that already holds a world wins over the settings: its
seed and clock are the ones ids and timestamps must go on from.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from emulator.control.endpoints import CLOCK_MAX, CLOCK_MIN
from emulator.core.clock import Clock, parse_instant
from emulator.core.journal import Journal
from emulator.core.outbox import Outbox
from emulator.core.runtime import Runtime, Vendor, vendor_for
from emulator.core.sqlite import SqliteBackend
from emulator.core.store import Store
from emulator.core.tenants import Tenants
from emulator.settings import Settings

log = logging.getLogger("emulator")


def build_runtime(settings: Settings, vendors: tuple[Vendor, ...]) -> Runtime:
    """The runtime of one app: clock, store (and its backend), tenants, journal, outbox."""
    start = _clock_start(settings)
    clock = Clock(start, frozen=settings.clock_frozen)
    sections = [vendor.access for vendor in vendors]
    tenants = Tenants.from_file(settings.config, sections) if settings.config else Tenants(sections)
    if settings.max_tenants < 0:
        raise ValueError("max_tenants must be 0 (no limit) or more")
    if settings.state_url:
        if settings.state_file:
            raise ValueError("--state-file and --state-url exclude each other; choose one")
        return _shared_runtime(settings, vendors, clock, tenants, start)
    backend = SqliteBackend(settings.state_file) if settings.state_file else None
    store = Store(backend, seed=settings.seed, max_tenants=settings.max_tenants)
    rt = Runtime(
        clock=clock,
        store=store,
        tenants=tenants,
        journal=Journal(settings.journal_size, classify=_classifier(vendors)),
        outbox=Outbox(settings.webhooks, clock=clock, seed=lambda: store.seed),
        vendors=vendors,
        clock_start=start,
        clock_frozen=settings.clock_frozen,
    )
    if backend is not None:
        # The state file is the world: its seed and clock win over the settings, or
        # ids and timestamps made after a restart would not fit the ones before it.
        _adopt_world(
            rt,
            settings,
            f"state file {settings.state_file}",
            f"restored from {settings.state_file}",
        )
    return rt


def _shared_runtime(
    settings: Settings,
    vendors: tuple[Vendor, ...],
    clock: Clock,
    tenants: Tenants,
    start: datetime | None,
) -> Runtime:
    """A replica's runtime: store, journal, faults and outbox on the shared Redis world."""
    from emulator.core.outbox.shared import SharedOutbox
    from emulator.core.shared.db import SharedDB
    from emulator.core.shared.faults import SharedFaults
    from emulator.core.shared.journal import SharedJournal
    from emulator.core.shared.runtime import SharedRuntime
    from emulator.core.shared.store import SharedStore

    assert settings.state_url is not None
    db = SharedDB.connect(settings.state_url)
    store = SharedStore(db, seed=settings.seed, max_tenants=settings.max_tenants)
    rt = SharedRuntime(
        clock=clock,
        store=store,
        tenants=tenants,
        journal=SharedJournal(db, settings.journal_size, classify=_classifier(vendors)),
        outbox=SharedOutbox(db, settings.webhooks, clock=clock, seed=lambda: store.seed),
        vendors=vendors,
        clock_start=start,
        clock_frozen=settings.clock_frozen,
        faults=SharedFaults(db),
    )
    where = f"the shared world at {db.where}"
    _adopt_world(rt, settings, where, f"taken from {where}")
    return rt


def _adopt_world(rt: Runtime, settings: Settings, world: str, clock_from: str) -> None:
    """Say when the kept world's seed overrides the setting; take its clock."""
    if rt.store.seed != settings.seed:
        log.warning(
            "%s was made with seed %d; using it, not %d", world, rt.store.seed, settings.seed
        )
    if rt.restore_saved_clock():
        log.info("clock %s: %s", clock_from, rt.clock.now())


def _clock_start(settings: Settings) -> datetime | None:
    if not settings.clock_start:
        return None
    try:
        start = parse_instant(settings.clock_start)
    except ValueError:
        raise ValueError(
            f"clock start {settings.clock_start!r} is not an ISO 8601 instant "
            "(e.g. 2025-01-15T02:50:29Z)"
        ) from None
    if not CLOCK_MIN <= start.timestamp() < CLOCK_MAX:
        raise ValueError(
            f"clock start {settings.clock_start!r} is outside 1970-01-01 .. 9000-01-01 (UTC)"
        )
    return start


def listen_url(settings: Settings) -> str:
    """Where the app is reached on this machine (the demo's webhooks name it)."""
    host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(settings.host, settings.host)
    return f"http://{f'[{host}]' if ':' in host else host}:{settings.port}"


def _classifier(vendors: Sequence[Vendor]) -> Callable[[str], str]:
    def classify(path: str) -> str:
        vendor = vendor_for(vendors, path)
        return vendor.name if vendor is not None else "none"

    return classify
