"""The shared world's wire formats: script arguments and replies, as Python values.

``SharedDB`` sends; this module says what is sent and what an answer means, so both
the blocking and the non-blocking paths (``aio``) read a reply the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from emulator.core.shared.scripts import PREFIX, SEP
from emulator.core.shared.transaction import Unavailable
from emulator.core.store import TenantLimitReached


@dataclass(slots=True)
class Synced:
    """What ``SYNC`` answered: versions, and the rows that changed (or all of them)."""

    config: int
    world: str  # the world's token: "<id>:<gen>"
    gen: int
    seq: int
    full: bool
    # (field, JSON text or None when deleted, version, order or None)
    rows: list[tuple[str, str | None, int, float | None]]


@dataclass(slots=True)
class NamespaceWrites:
    """One namespace's part of a commit."""

    tenant: str
    checks: list[tuple[str, int]]
    puts: list[tuple[str, str]]
    deletes: list[str]


@dataclass(frozen=True, slots=True)
class CommitBatch:
    """Everything one commit writes: namespaces' checks and writes, and deliveries."""

    namespaces: list[NamespaceWrites]
    deliveries: list[tuple[str, str, str, str]]
    max_tenants: int
    log_capacity: int


def commit_args(batch: CommitBatch) -> list[Any]:
    """``COMMIT``'s arguments (``scripts.COMMIT`` documents their layout)."""
    args: list[Any] = [PREFIX, batch.max_tenants, len(batch.namespaces)]
    for ns in batch.namespaces:
        args += [ns.tenant, len(ns.checks)]
        for field_name, expected in ns.checks:
            args += [field_name, expected]
        args.append(len(ns.puts))
        for field_name, text in ns.puts:
            args += [field_name, text]
        args.append(len(ns.deletes))
        args += ns.deletes
    args += [len(batch.deliveries), batch.log_capacity]
    for delivery in batch.deliveries:
        args += delivery
    return args


def commit_reply(reply: Any, max_tenants: int) -> list[int] | None:
    if int(reply[0]) == -1:
        raise Unavailable(cap_message(max_tenants))
    if int(reply[0]) == 0:
        return None
    return [int(x) for x in reply[1:]]


def cap_message(max_tenants: int) -> str:
    return str(TenantLimitReached(max_tenants))


Stamp = tuple[int, str, int, int]  # (config, world token, namespace seq, namespace gen)


def stamp_of(reply: list[Any]) -> Stamp:
    """``MGET config gen id [seq gen]`` as a ``Stamp``."""
    config, gen, world_id, *rest = reply
    seq, ns_gen = [*rest, None, None][:2]
    token = f"{_text(world_id)}:{int(gen or 0)}"
    return int(config or 0), token, int(seq or 0), int(ns_gen or 0)


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else str(value)


def encode(value: Any) -> str:
    # As the state file writes rows: compact, key order kept.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def field(table: str, key: str) -> str:
    return f"{table}{SEP}{key}"
