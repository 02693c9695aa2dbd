"""Fault injection at run time: the ordered rule list and its seeded decisions.

Rules are parsed in ``emulator.core.fault_rules``; ``emulator.core.fault_middleware``
applies the decisions to requests.

A client under test must be able to watch its retry, timeout and degradation paths
work, so ``/_emulator/faults`` holds an ordered list of rules (LocalStack's Chaos API
shape, anchors.md §2; WireMock's and MockServer's fault kinds, §4 item 5). Each rule
matches method, path (glob, or regex after ``re:``) and API key, and then:

* ``latency``  - delays the request by a fixed or random time, then serves it;
* ``error``    - answers an error in the addressed vendor's body shape
  (``ErrorShape.custom``), or a verbatim ``body``;
* ``throttle`` - answers 429 or 503 with ``Retry-After``;
* ``drop``     - closes the connection without any response, before the request is
  handled (``phase: request``) or after it was handled and its response thrown away
  (``phase: response``: the write happened, the client never hears of it).

Patterns cannot be made to backtrack: a ``re:`` pattern is compiled by RE2
(google-re2, linear time in the path, whatever the pattern: ``(a+)+$`` included), so
it supports RE2's syntax (no backreferences or lookarounds); globs become Python
regexes through ``fnmatch``, which emits no nested repetition.

Any rule may also carry ``latency_ms``. Every decision is a pure function of
``(seed, rule id, match number)`` (``emulator.core.randomness``), never of timing or of a
global random stream, so the same seed and the same request sequence give the same
faults on every run (MockServer's chaos ``seed``, made per rule). Every matching rule
counts every matching request, whether or not an earlier rule already answered it, so
one rule's decisions never depend on another rule being on the list.

Rules are configuration, not world state: snapshots and the state file do not hold
them; ``POST /_emulator/reset`` (everything) clears them, ``reset?api_key=K`` clears the
rules scoped to ``K`` (docs/control-api.md, What reset resets, says why).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from emulator.core.fault_rules import MAX_LATENCY_MS, FaultError, FaultRule
from emulator.core.randomness import derive

_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")


@dataclass(frozen=True, slots=True)
class Decision:
    """What the middleware does with one request."""

    latency_ms: float
    terminal: FaultRule | None
    mark: str  # "<rule id>:<action>[,...]" for the journal


def fires(seed: int, rule_id: str, match: int, probability: float) -> bool:
    """Whether a rule applies to its ``match``-th matching request: pure in its arguments."""
    if probability >= 1.0:
        return True
    if probability <= 0.0:
        return False
    return derive(seed, "fault", rule_id, match) / 2.0**64 < probability


class Faults:
    """The ordered rule list; evaluated for every vendor request."""

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        # Assigned ids only grow until the list is replaced or cleared, so a journal
        # mark like "f3:error" never means two different rules in one run.
        self._serial = 0

    def __len__(self) -> int:
        return len(self._rules)

    def rules(self) -> list[FaultRule]:
        return list(self._rules)

    def get(self, rule_id: str) -> FaultRule | None:
        return next((r for r in self._rules if r.id == rule_id), None)

    def replace(self, documents: list[Any]) -> list[FaultRule]:
        """Replace the whole list; ids restart at ``f1`` unless a rule names its own."""
        built: list[FaultRule] = []
        taken: set[Any] = {
            d["id"] for d in documents if isinstance(d, dict) and isinstance(d.get("id"), str)
        }
        serial = 0
        for index, doc in enumerate(documents):
            try:
                rule_id, serial = _rule_id(doc, serial, taken)
                built.append(FaultRule.from_json(doc, rule_id))
            except FaultError as exc:
                raise FaultError(f"rule {index}: {exc}") from None
        ids = [r.id for r in built]
        if len(set(ids)) != len(ids):
            raise FaultError("rule ids must be unique")
        self._rules, self._serial = built, serial
        return self.rules()

    def add(self, document: Any) -> FaultRule:
        """Append one rule; it gets the next free ``fN`` id unless it names its own."""
        taken: set[Any] = {r.id for r in self._rules}
        rule_id, serial = _rule_id(document, self._serial, taken)
        if isinstance(document, dict) and document.get("id") is not None and rule_id in taken:
            raise FaultError(f"a rule with id {rule_id!r} exists")
        rule = FaultRule.from_json(document, rule_id)
        self._rules.append(rule)
        self._serial = serial
        return rule

    def remove(self, rule_id: str) -> bool:
        before = len(self._rules)
        self._rules = [r for r in self._rules if r.id != rule_id]
        return len(self._rules) != before

    def clear(self, api_key: str | None = None) -> int:
        """Drop every rule, or only the rules scoped to one API key."""
        before = len(self._rules)
        if api_key is None:
            self._rules, self._serial = [], 0
        else:
            self._rules = [r for r in self._rules if r.api_key != api_key]
        return before - len(self._rules)

    def evaluate(self, method: str, path: str, api_key: str | None, seed: int) -> Decision | None:
        """Count this request against every matching rule and say what to inject."""
        latency = 0.0
        terminal: FaultRule | None = None
        marks: list[str] = []
        for rule in self._rules:
            if not rule.matches_request(method, path, api_key):
                continue
            n = self._count_match(rule)
            if terminal is not None or n <= rule.after or rule.expired:
                continue
            if not fires(seed, rule.id, n, rule.probability) or not self._count_hit(rule):
                continue
            marks.append(f"{rule.id}:{rule.action}")
            if rule.latency is not None:
                latency += rule.latency.sample(seed, rule.id, n)
            if rule.action != "latency":
                terminal = rule
        if not marks:
            return None
        return Decision(min(latency, MAX_LATENCY_MS), terminal, ",".join(marks))

    # Counting is separate so that several processes can count in one place
    # (emulator.core.shared.faults): match numbers must be global for the seeded
    # decisions, and ``times`` must hold over every replica.
    def _count_match(self, rule: FaultRule) -> int:
        """Count a matching request; its 1-based match number."""
        rule.matches += 1
        return rule.matches

    def _count_hit(self, rule: FaultRule) -> bool:
        """Count an application of ``rule``; False if ``times`` ran out meanwhile."""
        rule.hits += 1
        return True


def _rule_id(doc: Any, serial: int, taken: set[Any]) -> tuple[str, int]:
    """The rule's own id, or the next ``fN`` after ``serial`` that no rule names."""
    if isinstance(doc, dict) and doc.get("id") is not None:
        rule_id = doc["id"]
        if not isinstance(rule_id, str) or not _ID.fullmatch(rule_id):
            raise FaultError("id must be 1-64 letters, digits, '_', '.' or '-'")
        return rule_id, serial
    serial += 1
    while f"f{serial}" in taken:
        serial += 1
    return f"f{serial}", serial
