"""The outbox's values: a delivery, its attempts, the failure switch and the bounded log."""

from __future__ import annotations

import base64
import json
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal, NotRequired, TypedDict, Unpack, get_args

Status = Literal["pending", "delivering", "delivered", "failed", "abandoned"]
STATUSES: Final[tuple[Status, ...]] = get_args(Status)
FINAL: Final[frozenset[Status]] = frozenset({"delivered", "failed", "abandoned"})
FailMode = Literal["drop", "duplicate", "fail_after_send"]
FAIL_MODES: Final[tuple[FailMode, ...]] = get_args(FailMode)
ErrorKind = Literal["connect", "timeout", "http_status", "transport", "invalid_url", "injected"]

RenderTime = Callable[[float], str]


class AttemptJson(TypedDict):
    """An attempt as the control API shows it (``Attempt.to_json``); the typed client's
    ``Attempt``."""

    attempt: int
    time: str
    latency_ms: float
    outcome: str
    status: int | None
    error: str | None
    error_kind: str | None
    injected: str | None
    duplicate: bool
    retry_in_seconds: float | None
    response_excerpt: str | None
    # Set by the control API when the receiver's answer belongs to another tenant.
    response_excerpt_hidden: NotRequired[bool]


class DeliveryJson(TypedDict):
    """A delivery as the control API shows it (``Delivery.to_json``); the typed client's
    ``Delivery``. ``headers`` and ``body`` are left out of brief listings."""

    id: str
    api_key: str
    session_id: str
    user_id: str
    event: str
    url: str
    status: Status
    created_at: str
    finished_at: str | None
    next_attempt_at: str | None
    redelivery_of: str | None
    note: str | None
    attempt_count: int
    attempts: list[AttemptJson]
    headers: NotRequired[dict[str, str]]
    body: NotRequired[Any]


def encode_body(body: Any) -> bytes:
    """A callback body as sent: compact JSON (``,``/``:`` separators, UTF-8), as httpx's
    and FastAPI's encoders write it; the vendor's byte layout is not documented."""
    return json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def iso_time(ts: float) -> str:
    """A virtual-clock timestamp as ISO 8601 UTC (as the request journal renders it)."""
    return datetime.fromtimestamp(ts, UTC).isoformat()


@dataclass(slots=True)
class Attempt:
    """One HTTP call (or one the failure switch pretended to make)."""

    number: int
    time: float  # virtual clock, when the attempt started
    latency_ms: float  # real (monotonic) time from start to outcome
    outcome: Literal["delivered", "failed"]
    status: int | None = None  # HTTP status received, if any
    error: str | None = None
    error_kind: ErrorKind | None = None
    injected: FailMode | None = None  # the failure-switch mode that shaped this attempt
    duplicate: bool = False  # the second send of mode "duplicate"
    retry_in_seconds: float | None = None  # the backoff scheduled after this attempt
    response_excerpt: str | None = None

    def to_json(self, render_time: RenderTime = iso_time) -> AttemptJson:
        return {
            "attempt": self.number,
            "time": render_time(self.time),
            "latency_ms": round(self.latency_ms, 3),
            "outcome": self.outcome,
            "status": self.status,
            "error": self.error,
            "error_kind": self.error_kind,
            "injected": self.injected,
            "duplicate": self.duplicate,
            "retry_in_seconds": (
                None if self.retry_in_seconds is None else round(self.retry_in_seconds, 6)
            ),
            "response_excerpt": self.response_excerpt,
        }


@dataclass(slots=True, eq=False)
class Delivery:
    """One callback to one URL, with its attempt history. The body is serialised once."""

    id: str
    api_key: str
    session_id: str
    user_id: str
    event: str
    url: str
    headers: Mapping[str, str]
    body: bytes
    created_at: float  # virtual clock
    redelivery_of: str | None = None
    status: Status = "pending"
    attempts: list[Attempt] = field(default_factory=list)
    next_attempt_at: float | None = None  # virtual clock, while waiting to retry
    finished_at: float | None = None
    note: str | None = None  # why it failed or was abandoned
    due: float | None = None  # wall clock (time.time) of the next retry, while waiting

    @property
    def ordering_key(self) -> tuple[str, str]:
        """Deliveries with the same key go out one at a time, in enqueue order."""
        return (self.api_key, self.session_id)

    @property
    def finished(self) -> bool:
        return self.status in FINAL

    def json_body(self) -> Any:
        """The body as JSON (or as text if it is not JSON)."""
        try:
            return json.loads(self.body)
        except ValueError:
            return self.body.decode("utf-8", "replace")

    def to_json(self, render_time: RenderTime = iso_time, *, brief: bool = False) -> DeliveryJson:
        """The delivery as JSON; ``brief`` leaves out ``headers`` and ``body`` (a
        SESSION_COMPLETE body holds whole stage arrays: listings need not parse it)."""
        found: DeliveryJson = {
            "id": self.id,
            "api_key": self.api_key,
            "session_id": self.session_id,
            "user_id": self.user_id,
            "event": self.event,
            "url": self.url,
            "status": self.status,
            "created_at": render_time(self.created_at),
            "finished_at": None if self.finished_at is None else render_time(self.finished_at),
            "next_attempt_at": (
                None if self.next_attempt_at is None else render_time(self.next_attempt_at)
            ),
            "redelivery_of": self.redelivery_of,
            "note": self.note,
            "attempt_count": len([a for a in self.attempts if not a.duplicate]),
            "attempts": [a.to_json(render_time) for a in self.attempts],
        }
        if not brief:
            found["headers"] = dict(self.headers)
            found["body"] = self.json_body()
        return found


def delivery_doc(delivery: Delivery) -> dict[str, Any]:
    """Everything about a delivery, to keep it outside the process (the shared outbox)."""
    doc = {name: getattr(delivery, name) for name in _DELIVERY_FIELDS}
    doc["headers"] = dict(delivery.headers)
    doc["body"] = base64.b64encode(delivery.body).decode("ascii")
    doc["attempts"] = [asdict(a) for a in delivery.attempts]
    return doc


def delivery_from_doc(doc: Mapping[str, Any]) -> Delivery:
    """The inverse of ``delivery_doc``."""
    fields: dict[str, Any] = {name: doc.get(name) for name in _DELIVERY_FIELDS}
    return Delivery(
        **fields,
        headers=dict(doc.get("headers") or {}),
        body=base64.b64decode(doc.get("body") or ""),
        attempts=[Attempt(**a) for a in doc.get("attempts") or []],
    )


_DELIVERY_FIELDS: Final = (
    "id",
    "api_key",
    "session_id",
    "user_id",
    "event",
    "url",
    "created_at",
    "redelivery_of",
    "status",
    "next_attempt_at",
    "finished_at",
    "note",
    "due",
)


@dataclass(slots=True)
class FailureSwitch:
    """Makes the emulator's own deliveries misbehave, to test a receiver's idempotency.

    * ``drop``: the attempt is not sent and counts as failed (the receiver sees the
      event late, after the retries, or never if the switch outlasts them);
    * ``fail_after_send``: the attempt is sent, then treated as failed whatever the
      receiver answered, so it is retried: the receiver gets the same body twice;
    * ``duplicate``: a successful attempt is sent a second time at once.

    ``remaining`` counts the attempts the switch still affects (None: until switched
    off); ``api_key`` limits it to one tenant (None: every tenant without its own
    switch), ``event`` to one event name.
    """

    mode: FailMode
    remaining: int | None = None
    api_key: str | None = None
    event: str | None = None

    def __post_init__(self) -> None:
        if self.mode not in FAIL_MODES:
            raise ValueError(f"mode must be one of {', '.join(FAIL_MODES)}")
        if self.remaining is not None and self.remaining < 1:
            raise ValueError("remaining must be at least 1 (or null for no limit)")

    def matches(self, delivery: Delivery) -> bool:
        return self.event is None or self.event == delivery.event

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class DeliveryFilters(TypedDict, total=False):
    """The filters of ``DeliveryLog.query`` (each None: any)."""

    api_key: str | None
    session_id: str | None
    user_id: str | None
    event: str | None
    status: str | None
    limit: int | None


class DeliveryLog:
    """Every delivery, oldest first, bounded: the oldest *finished* ones are evicted first;
    a delivery still pending is never evicted (it would vanish without a trace)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[str, Delivery] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, delivery_id: object) -> bool:
        return delivery_id in self._items

    def add(self, delivery: Delivery) -> None:
        self._items[delivery.id] = delivery
        if len(self._items) > self.capacity:
            excess = len(self._items) - self.capacity
            for old in [d for d in self._items.values() if d.finished][:excess]:
                del self._items[old.id]

    def get(self, delivery_id: str) -> Delivery | None:
        return self._items.get(delivery_id)

    def values(self) -> list[Delivery]:
        return list(self._items.values())

    def query(self, **filters: Unpack[DeliveryFilters]) -> list[Delivery]:
        """The deliveries whose fields equal every filter given (None: any), oldest first;
        with ``limit`` the newest ``limit`` of them."""
        limit = filters.pop("limit", None)
        wanted = [(name, value) for name, value in filters.items() if value is not None]
        result = [d for d in self.values() if all(getattr(d, n) == v for n, v in wanted)]
        return result[-limit:] if limit else result

    def remove(self, predicate: Callable[[Delivery], bool]) -> int:
        doomed = [key for key, d in self._items.items() if predicate(d)]
        for key in doomed:
            del self._items[key]
        return len(doomed)


# --------------------------------------------------------------------------- the outbox
