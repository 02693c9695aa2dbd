"""Fault rules as documents: parsing and checking a rule, its latency, its path match.

A rule (``FaultRule``) is built from a JSON document strictly (unknown fields are an
error, ``FaultError`` says which field and why) and turns back into JSON with its
counters. ``re:`` paths are compiled by RE2 (linear time whatever the pattern), globs
through ``fnmatch``; the list of rules and what they decide is ``emulator.core.faults``.
"""

from __future__ import annotations

import fnmatch
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, cast

import re2  # type: ignore[import-untyped]

from emulator.core.randomness import rng

Action = Literal["latency", "error", "throttle", "drop"]
ACTIONS: tuple[Action, ...] = ("latency", "error", "throttle", "drop")
Distribution = Literal["fixed", "uniform", "normal", "lognormal"]
# No injected delay may exceed this: a typo must not hang a CI job for an hour.
MAX_LATENCY_MS = 300_000.0
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an RFC 9110 token
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
_COMMON = {
    "id",
    "method",
    "path",
    "api_key",
    "action",
    "latency_ms",
    "probability",
    "times",
    "after",
}
_PARAMS: dict[Action, set[str]] = {
    "latency": set(),
    "error": {"status", "code", "body", "headers"},
    "throttle": {"status", "code", "body", "headers", "retry_after"},
    "drop": {"mode", "phase"},
}


class Matcher(Protocol):
    """A compiled path pattern (``re`` for globs, RE2 for ``re:``)."""

    def fullmatch(self, text: str) -> object | None: ...


_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # the FaultError says what is wrong; no stderr noise


class FaultError(ValueError):
    """A rule document that cannot be used; the message says which field and why."""


@dataclass(frozen=True, slots=True)
class Latency:
    """How long to wait: a fixed time or a distribution, always clipped to ``[0, cap]``."""

    distribution: Distribution
    params: tuple[tuple[str, float], ...]
    cap: float = MAX_LATENCY_MS

    def sample(self, seed: int, rule_id: str, match: int) -> float:
        """Milliseconds for this rule's ``match``-th match: pure in its arguments."""
        p = dict(self.params)
        stream = rng(seed, "fault-latency", rule_id, match)
        if self.distribution == "fixed":
            value = p["value"]
        elif self.distribution == "uniform":
            value = stream.uniform(p["min"], p["max"])
        elif self.distribution == "normal":
            value = stream.gauss(p["mean"], p["stddev"])
        else:
            # WireMock's lognormal delay: median and sigma (anchors.md §2, WireMock faults).
            value = p["median"] * math.exp(p["sigma"] * stream.gauss(0.0, 1.0))
        return min(max(value, 0.0), self.cap)

    def to_json(self) -> float | dict[str, Any]:
        if self.distribution == "fixed":
            return dict(self.params)["value"]
        return {"distribution": self.distribution, **dict(self.params), "cap": self.cap}

    @classmethod
    def from_json(cls, raw: Any) -> Latency:
        if _is_number(raw):
            return cls("fixed", (("value", _bounded(float(raw), "latency_ms")),))
        if not isinstance(raw, dict):
            raise FaultError("latency_ms must be milliseconds or {distribution, ...}")
        kind = raw.get("distribution")
        needed: dict[str, tuple[str, ...]] = {
            "uniform": ("min", "max"),
            "normal": ("mean", "stddev"),
            "lognormal": ("median", "sigma"),
        }
        if not isinstance(kind, str) or kind not in needed:
            raise FaultError("latency_ms.distribution must be uniform, normal or lognormal")
        names = needed[kind]
        _no_unknown(raw, {"distribution", "cap", *names}, "latency_ms")
        values: list[tuple[str, float]] = []
        for name in names:
            value: Any = raw.get(name)
            if not _is_number(value):
                raise FaultError(f"latency_ms.{name} must be a number")
            values.append((name, _bounded(float(value), f"latency_ms.{name}")))
        p = dict(values)
        if kind == "uniform" and p["min"] > p["max"]:
            raise FaultError("latency_ms.min must not exceed latency_ms.max")
        cap: Any = raw.get("cap", MAX_LATENCY_MS)
        if not _is_number(cap):
            raise FaultError("latency_ms.cap must be a number")
        return cls(cast(Distribution, kind), tuple(values), _bounded(float(cap), "cap"))


@dataclass(slots=True)
class FaultRule:
    """One rule, with its counters (``matches`` seen, ``hits`` applied)."""

    id: str
    action: Action
    path: str = "*"
    method: str | None = None
    api_key: str | None = None
    latency: Latency | None = None
    probability: float = 1.0
    times: int | None = None
    after: int = 0
    status: int | None = None
    code: str | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    retry_after: int = 1
    mode: Literal["close", "reset"] = "close"
    phase: Literal["request", "response"] = "request"
    matches: int = 0
    hits: int = 0
    _pattern: Matcher = field(default=re.compile(".*"), repr=False)

    @property
    def expired(self) -> bool:
        return self.times is not None and self.hits >= self.times

    def matches_request(self, method: str, path: str, api_key: str | None) -> bool:
        if self.method is not None and self.method != method:
            return False
        if self.api_key is not None and self.api_key != api_key:
            return False
        return self._pattern.fullmatch(path) is not None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "action": self.action,
            "method": self.method,
            "path": self.path,
            "api_key": self.api_key,
            "latency_ms": self.latency.to_json() if self.latency else None,
            "probability": self.probability,
            "times": self.times,
            "after": self.after,
        }
        if self.action in ("error", "throttle"):
            out.update(status=self.status, code=self.code, body=self.body, headers=self.headers)
        if self.action == "throttle":
            out["retry_after"] = self.retry_after
        if self.action == "drop":
            out.update(mode=self.mode, phase=self.phase)
        out.update(matches=self.matches, hits=self.hits, expired=self.expired)
        return out

    @classmethod
    def from_json(cls, raw: Any, rule_id: str) -> FaultRule:
        """Validate a rule document (strictly: unknown fields are an error)."""
        if not isinstance(raw, dict):
            raise FaultError("a fault rule must be a JSON object")
        action = raw.get("action")
        if action is None and "latency_ms" in raw:
            action = "latency"
        if action not in ACTIONS:
            raise FaultError(f"action must be one of {', '.join(ACTIONS)}")
        action = cast(Action, action)
        _no_unknown(raw, _COMMON | _PARAMS[action], f"a {action} rule")
        rule = cls(id=rule_id, action=action)
        rule.path = _text(raw.get("path", "*"), "path")
        rule._pattern = _compile(rule.path)
        method = raw.get("method")
        if method is not None:
            rule.method = _text(method, "method").upper()
            if rule.method not in _METHODS:
                raise FaultError(f"method must be one of {', '.join(_METHODS)}")
        if raw.get("api_key") is not None:
            rule.api_key = _text(raw["api_key"], "api_key")
        if raw.get("latency_ms") is not None:
            rule.latency = Latency.from_json(raw["latency_ms"])
        elif action == "latency":
            raise FaultError("a latency rule needs latency_ms")
        probability = raw.get("probability", 1.0)
        if not _is_number(probability) or not 0.0 <= float(probability) <= 1.0:
            raise FaultError("probability must be a number from 0 to 1")
        rule.probability = float(probability)
        rule.times = _count(raw.get("times"), "times", minimum=1)
        rule.after = _count(raw.get("after"), "after", minimum=0) or 0
        if action in ("error", "throttle"):
            _response_params(rule, raw)
        if action == "drop":
            rule.mode = _choice(raw.get("mode", "close"), ("close", "reset"), "mode")
            rule.phase = _choice(raw.get("phase", "request"), ("request", "response"), "phase")
        return rule


def _response_params(rule: FaultRule, raw: dict[str, Any]) -> None:
    if rule.action == "throttle":
        status = raw.get("status", 429)
        if status not in (429, 503):
            raise FaultError("a throttle rule answers status 429 or 503")
        retry_after = _count(raw.get("retry_after"), "retry_after", minimum=0)
        rule.retry_after = 1 if retry_after is None else retry_after
    else:
        status = raw.get("status")
        if isinstance(status, float) and status.is_integer():
            status = int(status)  # JSON has one number type: 500.0 is the integer 500
        if not isinstance(status, int) or isinstance(status, bool) or not 400 <= status <= 599:
            raise FaultError("an error rule needs a status from 400 to 599")
    rule.status = int(status)
    if raw.get("code") is not None:
        rule.code = _text(raw["code"], "code")
    rule.body = raw.get("body")
    headers = raw.get("headers", {})
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and _HEADER_NAME.fullmatch(k) and isinstance(v, str) and _latin1(v)
        for k, v in headers.items()
    ):
        # Checked now: a header that cannot go on the wire would be a 500 at request time.
        raise FaultError("headers must map header names to printable latin-1 strings")
    rule.headers = dict(headers)


def _latin1(value: str) -> bool:
    """Printable latin-1 (a tab allowed): what any HTTP/1.1 stack puts on the wire."""
    return all(c == "\t" or " " <= c <= "~" or "\xa0" <= c <= "\xff" for c in value)


def _compile(pattern: str) -> Matcher:
    if pattern.startswith("re:"):
        try:
            found: Matcher = re2.compile(pattern[3:], _RE2_OPTIONS)
        except UnicodeError:
            raise FaultError("path regex: not valid Unicode text") from None
        except re2.error as exc:
            reason = exc.args[0] if exc.args else exc
            text = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else reason
            raise FaultError(f"path regex (RE2 syntax): {text}") from None
        return found
    return re.compile(fnmatch.translate(pattern))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _bounded(value: float, name: str) -> float:
    if not 0.0 <= value <= MAX_LATENCY_MS:
        raise FaultError(f"{name} must be from 0 to {MAX_LATENCY_MS:.0f} ms")
    return value


def _count(value: Any, name: str, *, minimum: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON has one number type: 2.0 is the integer 2
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise FaultError(f"{name} must be an integer of at least {minimum}")
    return value


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise FaultError(f"{name} must be a non-empty string")
    return value


def _choice(value: Any, allowed: tuple[str, ...], name: str) -> Any:
    if value not in allowed:
        raise FaultError(f"{name} must be one of {', '.join(allowed)}")
    return value


def _no_unknown(raw: Mapping[str, Any], known: set[str], what: str) -> None:
    unknown = sorted(set(raw) - known)
    if unknown:
        raise FaultError(f"{what} takes no {', '.join(unknown)}")
