"""The shared outbox's log and failure switches, in Redis (``leases`` has the layout).

``SharedLog`` is a ``DeliveryLog`` whose deliveries live in Redis: every replica lists
the same log, a delivery recorded by one (the Asleep demo's webhook history) is read
by all, and the bound (``webhooks.log_size``) holds over the cluster -- the oldest
finished deliveries go first, unfinished ones never. ``SharedSwitches`` keeps the
failure switches there, so ``remaining`` counts attempts on every replica.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from emulator.core.outbox import leases
from emulator.core.outbox.records import (
    Delivery,
    DeliveryLog,
    FailureSwitch,
    delivery_doc,
    delivery_from_doc,
)
from emulator.core.outbox.switches import Switches
from emulator.core.shared.scripts import PREFIX, SEP

if TYPE_CHECKING:
    from emulator.core.shared.db import SharedDB


def queue_of(delivery: Delivery) -> str:
    """The Redis queue of a delivery's ordering key (its API key and session)."""
    return f"{delivery.api_key}{SEP}{delivery.session_id}"


class SharedLog(DeliveryLog):
    """Every delivery of every replica, oldest first, bounded (module doc)."""

    def __init__(self, db: SharedDB, capacity: int) -> None:
        super().__init__(capacity)
        self.db = db
        self._record = db.client.register_script(leases.RECORD)

    def __len__(self) -> int:
        return int(self.db.run(self.db.client.zcard, PREFIX + "cb:log"))

    def __contains__(self, delivery_id: object) -> bool:
        return isinstance(delivery_id, str) and bool(
            self.db.run(self.db.client.hexists, PREFIX + "cb:doc", delivery_id)
        )

    def add(self, delivery: Delivery) -> None:
        """Record a delivery (a finished one is history: nothing is sent)."""
        doc = json.dumps(delivery_doc(delivery))
        args = [PREFIX, self.capacity, delivery.id, doc, queue_of(delivery), delivery.api_key]
        self.db.run(self._record, [], [*args, "1" if delivery.finished else "0"])

    def get(self, delivery_id: str) -> Delivery | None:
        raw = self.db.run(self.db.client.hget, PREFIX + "cb:doc", delivery_id)
        return None if raw is None else delivery_from_doc(json.loads(raw))

    def values(self) -> list[Delivery]:
        ids = self.db.run(self.db.client.zrange, PREFIX + "cb:log", 0, -1)
        if not ids:
            return []
        docs = self.db.run(self.db.client.hmget, PREFIX + "cb:doc", ids)
        return [delivery_from_doc(json.loads(d)) for d in docs if d is not None]

    def remove(self, predicate: Callable[[Delivery], bool]) -> int:
        doomed = [d.id for d in self.values() if predicate(d)]
        if doomed:
            pipe = self.db.client.pipeline(transaction=True)
            for key in ("cb:doc", "cb:tenant", "cb:open"):
                pipe.hdel(PREFIX + key, *doomed)
            pipe.zrem(PREFIX + "cb:log", *doomed)
            self.db.run(pipe.execute)
        return len(doomed)


class SharedSwitches(Switches):
    """The failure switches in Redis: ``remaining`` counts attempts on every replica."""

    def __init__(self, db: SharedDB) -> None:
        super().__init__()
        self.db = db
        self._consume = db.client.register_script(leases.CONSUME)

    def set(self, switch: FailureSwitch) -> FailureSwitch:
        field = switch.api_key or "*"
        self.db.run(
            self.db.client.hset, PREFIX + "cb:switches", field, json.dumps(switch.to_json())
        )
        return replace(switch)

    def clear(self, api_key: str | None = None) -> bool:
        return bool(self.db.run(self.db.client.hdel, PREFIX + "cb:switches", api_key or "*"))

    def all(self) -> list[FailureSwitch]:
        raw = self.db.run(self.db.client.hgetall, PREFIX + "cb:switches")
        return [FailureSwitch(**json.loads(v)) for _, v in sorted(raw.items())]

    def reset(self, api_key: str | None) -> None:
        """Done by ``SharedOutbox.reset`` in Redis."""

    def for_delivery(self, delivery: Delivery) -> FailureSwitch | None:
        own, every = self.db.run(
            self.db.client.hmget, PREFIX + "cb:switches", [delivery.api_key, "*"]
        )
        raw = own or every
        switch = None if raw is None else FailureSwitch(**json.loads(raw))
        return switch if switch is not None and switch.matches(delivery) else None

    def consume(self, switch: FailureSwitch) -> None:
        if switch.remaining is not None:
            self.db.run(self._consume, [], [PREFIX, switch.api_key or "*"])
