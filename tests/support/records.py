"""A minimal record type for store tests: what a vendor's row looks like to the store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator.core.tables import Namespace, Table


@dataclass
class Thing:
    name: str
    n: int

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "n": self.n}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Thing:
        return cls(raw["name"], raw["n"])


def things(ns: Namespace) -> Table[Thing]:
    """The ``test.things`` table of a namespace."""
    return ns.table("test.things", Thing.from_json)
