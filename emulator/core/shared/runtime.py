"""``SharedRuntime``: the runtime of one replica of a shared world (``--state-url``).

What one process keeps in its ``Runtime`` -- the virtual clock, progression policies,
fault rules, the seed -- is published to Redis (``ve:meta``) whenever a replica
changes it, with a new configuration version; every replica checks that version on
each request (``FreshnessMiddleware``, in the same round trip as its namespace) and
reloads what changed. A reset or restore of the whole world by another replica
(world generation) runs this replica's reset hooks, as if it had been asked itself.

The clock is stored as one process stores it in a state file: a frozen instant, or an
offset from the wall clock, so replicas on machines with synchronised clocks agree.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from emulator.core.lifecycle import ProgressionPolicy
from emulator.core.runtime import Runtime
from emulator.core.shared.faults import SharedFaults
from emulator.core.shared.store import SharedStore

log = logging.getLogger("emulator.core.shared")


@dataclass
class SharedRuntime(Runtime):
    """A ``Runtime`` whose configuration is shared through Redis (module doc)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        assert isinstance(self.store, SharedStore)
        self._clock_seen: Any = None
        self.store.on_config.append(self.reload_config)
        self.store.on_world.append(self._reset_by_another)
        self.store.on_new_world.append(self._refound)
        metas = self.store.db.metas()
        if "progression" in metas:
            self._load_progressions(metas["progression"])
        else:
            self._publish_progressions()
        if isinstance(self.faults, SharedFaults) and "faults" in metas:
            self.faults.load(metas["faults"])

    @property
    def shared(self) -> SharedStore:
        assert isinstance(self.store, SharedStore)
        return self.store

    # ------------------------------------------------------------------ publishing
    def set_progression(self, vendor: str, policy: ProgressionPolicy) -> None:
        super().set_progression(vendor, policy)
        self._publish_progressions()

    def _publish_progressions(self) -> None:
        self.shared.db.put_meta(
            "progression", {name: p.to_json() for name, p in self._progressions.items()}
        )

    def clock_changed(self) -> None:
        self._clock_seen = self.clock.to_json()
        super().clock_changed()  # the backend is Redis: this publishes the clock

    def reset(self, api_key: str | None = None) -> None:
        super().reset(api_key)
        if api_key is None:
            self._publish_progressions()

    # ------------------------------------------------------------------ following
    def reload_config(self) -> None:
        """Another replica (or this one) published a change: take the world's values."""
        metas = self.shared.db.metas()
        seed = metas.get("seed")
        if seed is not None:
            self.shared.seed = int(seed["value"])
        if "progression" in metas:
            self._load_progressions(metas["progression"])
        if isinstance(self.faults, SharedFaults):
            self.faults.load(metas.get("faults"))
        clock = metas.get("clock")
        if clock is not None and clock != self._clock_seen:
            self._clock_seen = clock
            self.clock.load(clock)
            for hook in self.on_clock_change:
                hook()

    def _load_progressions(self, doc: Any) -> None:
        found = dict(self.default_progressions())
        for name, raw in (doc or {}).items():
            if name in found and isinstance(raw, dict):
                try:
                    found[name] = ProgressionPolicy(
                        raw.get("mode", "immediate"),
                        int(raw.get("polls", 1)),
                        float(raw.get("seconds", 0.0)),
                    )
                except (TypeError, ValueError):
                    log.warning("ignoring a malformed shared progression for %s: %r", name, raw)
        self._progressions = found

    def _refound(self) -> None:
        """Redis lost the world: give it this replica's seed, clock, policies and rules."""
        db = self.shared.db
        self.shared.seed = db.init_seed(self.shared.seed)
        metas = db.metas()
        if "clock" not in metas:
            self.clock_changed()
        if "progression" not in metas:
            self._publish_progressions()
        if isinstance(self.faults, SharedFaults) and "faults" not in metas and len(self.faults):
            self.faults.publish()

    def _reset_by_another(self) -> None:
        """Another replica reset or restored the whole world: drop what hangs on it."""
        forget = getattr(self.outbox, "forget_local", None)
        if forget is not None:
            forget(None)
        for hook in self.on_reset:
            if hook != self.outbox.reset:
                hook(None)
