"""The shapes the control API answers with, as ``TypedDict``s.

Each is exactly the JSON document the endpoint returns (docs/control-api.md,
docs/webhooks.md, docs/kintsugi.md, docs/asleep.md), so a result is an ordinary
``dict`` at run time and a typed one to mypy and the editor. ``NotRequired`` marks a
field only some answers carry. Last, the filters the lists take (keyword arguments of
both clients, checked by name in ``calls``).
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypeAlias, TypedDict

from emulator.core.journal import EntryJson
from emulator.core.outbox import AttemptJson, DeliveryJson, Status
from emulator.core.outbox import FailMode as FailMode
from emulator.kintsugi.models import SessionJson

Json: TypeAlias = Any
Mode = Literal["immediate", "polls", "seconds", "manual"]
DeliveryStatus: TypeAlias = Status
# Declared once, where the server builds them:
JournalEntry: TypeAlias = EntryJson  # emulator.core.journal
Attempt: TypeAlias = AttemptJson  # emulator.core.outbox.records
Delivery: TypeAlias = DeliveryJson  # emulator.core.outbox.records


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


class KintsugiSession(SessionJson):
    """A session as stored (``emulator.kintsugi.models``) with its status as listed."""

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


# -- what the lists take --------------------------------------------------------------


class ListFilters(TypedDict, total=False):
    """What every list's filters share: the newest ``limit`` items, of one tenant
    (``api_key``, sent as the header)."""

    limit: int | None
    api_key: str | None


class RequestFilters(ListFilters, total=False):
    """The journal's filters (``GET /_emulator/requests``); each narrows, none is needed.
    ``method`` is matched upper-cased."""

    method: str | None
    path_prefix: str | None
    vendor: str | None
    faulted: bool | None


class CallbackFilters(ListFilters, total=False):
    """The delivery log's filters (``GET /_emulator/callbacks``); each narrows, none is
    needed."""

    event: str | None
    status: str | None
    session_id: str | None
    user_id: str | None
