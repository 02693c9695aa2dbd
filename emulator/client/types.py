"""The shapes the control API answers with, as ``TypedDict``s.

Each is exactly the JSON document the endpoint returns (docs/control-api.md,
docs/webhooks.md, docs/kintsugi.md, docs/asleep.md), so a result is an ordinary
``dict`` at run time and a typed one to mypy and the editor. ``NotRequired`` marks a
field only some answers carry.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypeAlias, TypedDict

Json: TypeAlias = Any
Mode = Literal["immediate", "polls", "seconds", "manual"]
DeliveryStatus = Literal["pending", "delivering", "delivered", "failed", "abandoned"]
FailMode = Literal["drop", "fail_after_send", "duplicate"]


class ApiInfo(TypedDict):
    name: str
    title: str
    prefixes: list[str]


class Health(TypedDict):
    status: str
    version: str
    apis: list[ApiInfo]
    seed: int
    now: str


class ResetResult(TypedDict):
    reset: Literal["all", "tenant"]
    api_key: str | None


class Clock(TypedDict):
    now: str
    frozen: bool


class Policy(TypedDict):
    mode: Mode
    polls: int
    seconds: float


class AdvanceResult(TypedDict):
    advanced: dict[str, int]
    total: int
    api_key: str | None
    session_id: str | None


class FaultRule(TypedDict):
    id: str
    action: Literal["latency", "error", "throttle", "drop"]
    method: str | None
    path: str
    api_key: str | None
    latency_ms: float | dict[str, Any] | None
    probability: float
    times: int | None
    after: int
    matches: int
    hits: int
    expired: bool
    status: NotRequired[int | None]
    code: NotRequired[str | None]
    body: NotRequired[Json]
    headers: NotRequired[dict[str, str]]
    retry_after: NotRequired[int]
    mode: NotRequired[Literal["close", "reset"]]
    phase: NotRequired[Literal["request", "response"]]


class JournalEntry(TypedDict):
    id: int
    time: str
    method: str
    path: str
    query: str
    status: int
    duration_ms: float
    api_key: str | None
    vendor: str | None
    fault: str | None


class Attempt(TypedDict):
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


class Delivery(TypedDict):
    id: str
    api_key: str
    session_id: str
    user_id: str
    event: str
    url: str
    status: DeliveryStatus
    created_at: str
    finished_at: str | None
    next_attempt_at: str | None
    redelivery_of: str | None
    note: str | None
    attempt_count: int
    attempts: list[Attempt]
    headers: dict[str, str]
    body: Json


class FlushResult(TypedDict):
    idle: bool
    pending: int
    summary: dict[str, int]


class Redelivery(TypedDict):
    id: str
    redelivery_of: str
    status: DeliveryStatus


class FailureSwitch(TypedDict):
    mode: FailMode
    remaining: int | None
    api_key: str | None
    event: str | None


class Scenario(TypedDict):
    api: str
    name: str
    kind: str
    description: str
    example: Json


class RestoreResult(TypedDict):
    restored: Literal["all", "tenant"]
    api_key: str | None
    tenants: list[str]
    rows: int
    seed: int


class Outcome(TypedDict, total=False):
    """A forced Kintsugi outcome: any of these fields (docs/kintsugi.md)."""

    depression_severity: str
    depression_binary: str
    anxiety_severity: str
    error: str
    hold: bool


class OutcomeEntry(TypedDict):
    key: str
    outcome: Outcome


class KintsugiSession(TypedDict):
    session_id: str
    user_id: str
    consent: bool
    metadata: dict[str, Any]
    api_version: int
    created_at: float
    seq: int
    prediction: dict[str, Any] | None
    feedback: dict[str, Any]
    feedback_at: float | None
    status: Literal["initiated", "no_consent", "processing", "success", "failed"]


class AsleepProfile(TypedDict):
    user_id: str
    profile: str
    source: Literal["control", "default"]


class HypnogramResult(TypedDict):
    session_id: str
    epochs: int
    state: str
    end_time_from_hypnogram: bool


class SessionState(TypedDict):
    session_id: str
    state: str


class NightDelivery(TypedDict):
    id: str
    event: str
    seq_num: int | None
    inference_seq_num: int | None
    status: DeliveryStatus


class Night(TypedDict):
    session_id: str
    user_id: str
    state: str
    version: str
    cadence_minutes: int
    profile: str
    epochs: int
    start_time: str
    end_time: str
    callback_url: str
    deliveries: list[NightDelivery]
