"""Fault rules every replica applies, counted in one place (``--state-url``).

The rule list is a world fact (``ve:meta`` "faults", so every replica reloads it when
the configuration version moves); the counters live in ``ve:faults:count``. A rule's
decision is a pure function of (seed, rule id, match number) (``emulator.core.faults``),
so the match number must be global: the same request sequence then meets the same
faults whichever replica answers each request, and ``times`` holds over all of them.
Each rule carries a token naming its counters, so a rule replaced by one with the same
id starts from zero, as it does in one process.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any, Final

from emulator.core.fault_rules import FaultRule
from emulator.core.faults import Faults
from emulator.core.shared.scripts import PREFIX

if TYPE_CHECKING:
    from emulator.core.shared.db import SharedDB

COUNTS: Final = PREFIX + "faults:count"
_COUNTERS: Final = frozenset({"matches", "hits", "expired"})

# ARGV: counter field of hits, times (-1: no limit) -> 1 if counted, 0 if used up
_HIT: Final = """
local hits = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local times = tonumber(ARGV[2])
if times >= 0 and hits >= times then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
return 1
"""


class SharedFaults(Faults):
    """``Faults`` whose list is published to every replica and whose counters are shared."""

    def __init__(self, db: SharedDB) -> None:
        super().__init__()
        self.db = db
        self._tokens: dict[str, str] = {}
        self._hit = db.client.register_script(_HIT)

    # ------------------------------------------------------------------ publishing
    def replace(self, documents: list[Any]) -> list[FaultRule]:
        rules = super().replace(documents)
        self._tokens = {}
        self.publish()
        return rules

    def add(self, document: Any) -> FaultRule:
        rule = super().add(document)
        self.publish()
        return rule

    def remove(self, rule_id: str) -> bool:
        removed = super().remove(rule_id)
        if removed:
            self.publish()
        return removed

    def clear(self, api_key: str | None = None) -> int:
        removed = super().clear(api_key)
        if removed or api_key is None:  # a tenant's reset with no rules of its own: no news
            self.publish()
        return removed

    def publish(self) -> None:
        """Write the rule list for every replica (a new configuration version)."""
        for rule in self._rules:
            self._tokens.setdefault(rule.id, uuid.uuid4().hex)
        self._tokens = {r.id: self._tokens[r.id] for r in self._rules}
        doc = {
            "serial": self._serial,
            "rules": [{"token": self._tokens[r.id], "rule": _document(r)} for r in self._rules],
        }
        self.db.put_meta("faults", doc)

    def load(self, doc: Any) -> None:
        """The list another replica published (``ve:meta`` "faults")."""
        rules: list[FaultRule] = []
        tokens: dict[str, str] = {}
        for item in (doc or {}).get("rules", []):
            rule = FaultRule.from_json(item["rule"], item["rule"]["id"])
            rules.append(rule)
            tokens[rule.id] = item["token"]
        self._rules, self._tokens = rules, tokens
        self._serial = int((doc or {}).get("serial", 0))

    # ------------------------------------------------------------------ counting
    def _field(self, rule: FaultRule, kind: str) -> str:
        return f"{self._tokens.get(rule.id, rule.id)}:{kind}"

    def _count_match(self, rule: FaultRule) -> int:
        rule.matches = int(self.db.run(self.db.client.hincrby, COUNTS, self._field(rule, "m"), 1))
        return rule.matches

    def _count_hit(self, rule: FaultRule) -> bool:
        times = -1 if rule.times is None else rule.times
        counted = bool(self.db.run(self._hit, [COUNTS], [self._field(rule, "h"), times]))
        if counted:
            rule.hits += 1
        return counted

    def rules(self) -> list[FaultRule]:
        self._read_counters()
        return super().rules()

    def get(self, rule_id: str) -> FaultRule | None:
        self._read_counters()
        return super().get(rule_id)

    def _read_counters(self) -> None:
        if not self._rules:
            return
        fields = [self._field(r, kind) for r in self._rules for kind in ("m", "h")]
        values = self.db.run(self.db.client.hmget, COUNTS, fields)
        for index, rule in enumerate(self._rules):
            rule.matches = int(values[2 * index] or 0)
            rule.hits = int(values[2 * index + 1] or 0)


def _document(rule: FaultRule) -> dict[str, Any]:
    """A rule as ``FaultRule.from_json`` reads it back: its JSON without the counters."""
    doc = {k: v for k, v in rule.to_json().items() if k not in _COUNTERS}
    json.dumps(doc)  # fail here, not on another replica, if it does not serialise
    return doc
