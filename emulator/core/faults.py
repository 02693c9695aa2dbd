"""Fault injection at run time: rules, matching, seeded decisions, and the middleware.

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

import asyncio
import fnmatch
import logging
import math
import re
import socket
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, cast

import re2  # type: ignore[import-untyped]
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.core.errors import ErrorShape
from emulator.core.headers import header
from emulator.core.randomness import derive, rng

log = logging.getLogger("emulator.core.faults")

CONTROL_PREFIX = "/_emulator"
Action = Literal["latency", "error", "throttle", "drop"]
ACTIONS: tuple[Action, ...] = ("latency", "error", "throttle", "drop")
Distribution = Literal["fixed", "uniform", "normal", "lognormal"]
# No injected delay may exceed this: a typo must not hang a CI job for an hour.
MAX_LATENCY_MS = 300_000.0
_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
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


class DroppedConnection(ConnectionResetError):
    """Raised where the server offers no socket to close (in-process test transports).

    Over a real socket a ``drop`` closes the connection and nothing is raised; an
    in-process client (Starlette's TestClient, httpx.ASGITransport) has no connection
    to lose, so it sees this exception instead, which is the nearest equivalent.
    """


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


class FaultMiddleware:
    """Applies ``Faults`` to vendor requests; sits just inside the journal middleware.

    It must see uvicorn's own ``receive`` (to find the socket for ``drop``), so no
    middleware that wraps ``receive`` may sit outside it.
    """

    def __init__(
        self,
        app: ASGIApp,
        faults: Faults,
        seed: Callable[[], int],
        shape_for: Callable[[str], ErrorShape],
    ) -> None:
        self.app = app
        self.faults = faults
        self.seed = seed
        self.shape_for = shape_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not len(self.faults):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        decision = None
        if not path.startswith(CONTROL_PREFIX):
            decision = self.faults.evaluate(
                scope["method"], path, header(scope, b"x-api-key"), self.seed()
            )
        if decision is None:
            await self.app(scope, receive, send)
            return
        # The journal (outside us) reads this after the request, whatever happens next.
        scope.setdefault("state", {})["fault"] = decision.mark
        if decision.latency_ms:
            await asyncio.sleep(decision.latency_ms / 1000.0)
        rule = decision.terminal
        if rule is None:
            await self.app(scope, receive, send)
        elif rule.action == "drop":
            if rule.phase == "response":
                await self.app(scope, receive, _swallow)
            await _drop(receive, rule)
        else:
            await self._answer(path, rule)(scope, receive, send)

    def _answer(self, path: str, rule: FaultRule) -> ASGIApp:
        assert rule.status is not None
        exc = self.shape_for(path).custom(path, rule.status, rule.code)
        headers = dict(exc.headers)
        if rule.action == "throttle":
            headers["Retry-After"] = str(rule.retry_after)
        headers.update(rule.headers)
        body = exc.to_body() if rule.body is None else rule.body
        return JSONResponse(body, status_code=rule.status, headers=headers)


async def _swallow(message: Message) -> None:
    """Throws a handled request's response away (``drop`` in the response phase)."""


async def _drop(receive: Receive, rule: FaultRule) -> None:
    """Close the client's connection without a byte of response.

    No ASGI server hands the app its socket, but uvicorn's ``receive`` is a bound
    method of its request cycle, which holds the asyncio transport. Closing that
    transport (FIN; with ``SO_LINGER=0`` a TCP RST) is the only way found that gives
    the client a connection error rather than a 500, under both httptools and h11,
    with uvloop or asyncio (verified by tests/test_faults.py). Starting a response and
    raising also breaks the connection, but uvicorn logs a traceback per request and
    the client sees a status line first.
    """
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if transport is None or not hasattr(transport, "close"):
        raise DroppedConnection(f"connection dropped by fault rule {rule.id}")
    if rule.mode == "reset":
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.close()
    # Wait until the server has seen the connection go (http.disconnect); returning
    # earlier makes uvicorn log "returned without starting response" and try a 500.
    for _ in range(64):
        try:
            message = await asyncio.wait_for(receive(), 1.0)
        except TimeoutError:
            return
        if message["type"] == "http.disconnect":
            return


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
