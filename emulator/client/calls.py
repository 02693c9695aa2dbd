"""What each control call sends and how its answer is read, shared by both clients.

A ``Call`` is one HTTP request to ``/_emulator`` (method, path, query, JSON body, the
tenant it names) and a function from the decoded answer to the typed result. The
sync and async clients only differ in how they send it, so every endpoint's knowledge
lives here once. The tenant always travels as the ``X-API-Key`` header, the control
API's one way to name it (its older ``?api_key=`` alias is never sent).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar, cast
from urllib.parse import quote

from emulator.client.types import (
    AdvanceResult,
    AsleepProfile,
    CallbackFilters,
    Clock,
    Delivery,
    FailureSwitch,
    FaultRule,
    FlushResult,
    Health,
    HypnogramResult,
    JournalEntry,
    KintsugiSession,
    Night,
    OutcomeEntry,
    Policy,
    Redelivery,
    RequestFilters,
    ResetResult,
    RestoreResult,
    Scenario,
    SessionState,
)

T = TypeVar("T")
PREFIX = "/_emulator"
NO_BODY: Any = object()


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class Call(Generic[T]):
    """One control request and how to read its answer."""

    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    body: Any = NO_BODY
    api_key: str | None = None
    read: Callable[[Any], T] = _same
    # False: name no tenant even when the client has one (the whole journal, say).
    tenant: bool = True
    # Seconds to wait for the answer beyond the client's default (flush waits server-side).
    extra_timeout: float = 0.0


def _path(*parts: str) -> str:
    return PREFIX + "".join("/" + quote(p, safe="") for p in parts)


def _query(**values: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in values.items():
        if value is None:
            continue
        out[name] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return out


def _listed(name: str, filters: Mapping[str, Any], declared: type) -> Call[Any]:
    """``GET /_emulator/{name}`` with ``filters`` as its query (the tenant as the header);
    a filter ``declared`` does not list is a TypeError, as an unknown keyword would be."""
    known = declared.__annotations__
    unknown = sorted(set(filters) - set(known))
    if unknown:
        raise TypeError(f"unknown filter {', '.join(unknown)}; known: {', '.join(known)}")
    query = _query(**filters)
    api_key = query.pop("api_key", None)
    return Call("GET", _path(name), params=query, api_key=api_key, read=_key(name))


def _key(name: str) -> Callable[[Any], Any]:
    return lambda doc: doc[name]


def _instant(value: datetime | str) -> str:
    return value.isoformat() if isinstance(value, datetime) else value


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


# -- the emulator ----------------------------------------------------------------------


def health() -> Call[Health]:
    return Call("GET", _path("health"))


def reset(api_key: str | None) -> Call[ResetResult]:
    return Call("POST", _path("reset"), api_key=api_key)


def scenarios() -> Call[list[Scenario]]:
    return Call("GET", _path("scenarios"), read=_key("scenarios"))


def tenants() -> Call[dict[str, Any]]:
    return Call("GET", _path("tenants"))


def openapi() -> Call[dict[str, Any]]:
    return Call("GET", _path("openapi.json"))


def contract() -> Call[dict[str, Any]]:
    return Call("GET", _path("contract"))


def demo(api_key: str | None) -> Call[dict[str, Any]]:
    return Call("POST", _path("demo"), api_key=api_key)


def state(api_key: str | None) -> Call[dict[str, Any]]:
    return Call("GET", _path("state"), api_key=api_key)


def restore_state(document: Mapping[str, Any], api_key: str | None) -> Call[RestoreResult]:
    return Call("PUT", _path("state"), body=dict(document), api_key=api_key)


# -- time ------------------------------------------------------------------------------


def clock() -> Call[Clock]:
    return Call("GET", _path("clock"))


def change_clock(
    *,
    freeze: bool = False,
    resume: bool = False,
    at: datetime | str | None = None,
    advance: float | timedelta | None = None,
) -> Call[Clock]:
    body: dict[str, Any] = {}
    if freeze:
        body["freeze"] = True
    if at is not None:
        body["set"] = _instant(at)
    if advance is not None:
        body["advance"] = _seconds(advance)
    if resume:
        body["resume"] = True
    if not body:
        raise ValueError("say what to change: freeze, resume, at or advance")
    return Call("POST", _path("clock"), body=body)


def progression() -> Call[dict[str, Policy]]:
    return Call("GET", _path("progression"))


def set_progression(
    vendor: str, mode: str | None, polls: int | None, seconds: float | None
) -> Call[dict[str, Policy]]:
    change = {
        k: v for k, v in (("mode", mode), ("polls", polls), ("seconds", seconds)) if v is not None
    }
    return Call("PUT", _path("progression"), body={vendor: change})


def advance(api: str | None, session_id: str | None, api_key: str | None) -> Call[AdvanceResult]:
    params = _query(api=api, session_id=session_id)
    return Call("POST", _path("advance"), params=params, api_key=api_key)


# -- faults ----------------------------------------------------------------------------


def faults() -> Call[list[FaultRule]]:
    return Call("GET", _path("faults"), read=_key("rules"))


def fault(rule_id: str) -> Call[FaultRule]:
    return Call("GET", _path("faults", rule_id))


def add_fault(
    rule: Mapping[str, Any] | None, fields: Mapping[str, Any], api_key: str | None
) -> Call[FaultRule]:
    """``rule`` with ``fields`` (keywords) over it."""
    return Call("POST", _path("faults"), body={**(rule or {}), **fields}, api_key=api_key)


def set_faults(rules: Sequence[Mapping[str, Any]], api_key: str | None) -> Call[list[FaultRule]]:
    body = [dict(r) for r in rules]
    return Call("PUT", _path("faults"), body=body, api_key=api_key, read=_key("rules"))


def clear_faults(api_key: str | None) -> Call[int]:
    return Call("DELETE", _path("faults"), api_key=api_key, read=_key("deleted"))


def delete_fault(rule_id: str) -> Call[int]:
    return Call("DELETE", _path("faults", rule_id), read=_key("deleted"))


# -- the request journal ---------------------------------------------------------------


def requests(filters: RequestFilters) -> Call[list[JournalEntry]]:
    method = filters.get("method")
    return _listed("requests", {**filters, "method": method and method.upper()}, RequestFilters)


def journal(judge: Callable[[list[JournalEntry]], T]) -> Call[T]:
    """Every journal entry, whatever the tenant (for the near-miss report), judged."""
    return Call("GET", _path("requests"), tenant=False, read=lambda doc: judge(doc["requests"]))


def clear_requests(api_key: str | None) -> Call[int]:
    return Call("DELETE", _path("requests"), api_key=api_key, read=_key("cleared"))


# -- webhook deliveries ----------------------------------------------------------------


def callbacks(filters: CallbackFilters) -> Call[list[Delivery]]:
    return _listed("callbacks", filters, CallbackFilters)


def callback(delivery_id: str) -> Call[Delivery]:
    return Call("GET", _path("callbacks", delivery_id))


def clear_callbacks(api_key: str | None) -> Call[int]:
    return Call("DELETE", _path("callbacks"), api_key=api_key, read=_key("cleared"))


def flush(timeout: float, api_key: str | None) -> Call[FlushResult]:
    if not math.isfinite(timeout) or timeout < 0:
        raise ValueError("timeout is a number of seconds, 0 or more")
    params = _query(timeout=f"{timeout:g}")
    return Call(
        "POST", _path("callbacks", "flush"), params=params, api_key=api_key, extra_timeout=timeout
    )


def redeliver(delivery_id: str) -> Call[Redelivery]:
    return Call("POST", _path("callbacks", delivery_id, "redeliver"))


def failure_switches() -> Call[list[FailureSwitch]]:
    return Call("GET", _path("callbacks", "failures"), read=_key("switches"))


def set_failure_switch(
    mode: str, remaining: int | None, event: str | None, api_key: str | None
) -> Call[FailureSwitch | None]:
    body: dict[str, Any] = {"mode": mode, "remaining": remaining, "event": event}
    return Call(
        "PUT", _path("callbacks", "failures"), body=body, api_key=api_key, read=_key("switch")
    )


def clear_failure_switch(api_key: str | None) -> Call[bool]:
    return Call("DELETE", _path("callbacks", "failures"), api_key=api_key, read=_key("removed"))


# -- Kintsugi Voice --------------------------------------------------------------------


def kintsugi_sessions(api_key: str | None) -> Call[list[KintsugiSession]]:
    return Call("GET", _path("kintsugi", "sessions"), api_key=api_key, read=_key("sessions"))


def kintsugi_outcomes(api_key: str | None) -> Call[list[OutcomeEntry]]:
    return Call("GET", _path("kintsugi", "outcomes"), api_key=api_key, read=_key("outcomes"))


def _outcome_path(user_id: str | None, session_id: str | None) -> str:
    if (user_id is None) == (session_id is None):
        raise ValueError("name exactly one of user_id and session_id")
    if user_id is not None:
        return _path("kintsugi", "outcomes", "users", user_id)
    return _path("kintsugi", "outcomes", "sessions", cast(str, session_id))


def force_outcome(
    outcome: Mapping[str, Any], user_id: str | None, session_id: str | None, api_key: str | None
) -> Call[OutcomeEntry]:
    """``outcome``: the keywords of ``force_outcome`` (the fields of ``Outcome``)."""
    path = _outcome_path(user_id, session_id)
    return Call("PUT", path, body=dict(outcome), api_key=api_key)


def clear_outcome(user_id: str | None, session_id: str | None, api_key: str | None) -> Call[bool]:
    path = _outcome_path(user_id, session_id)
    return Call("DELETE", path, api_key=api_key, read=_key("deleted"))


def kintsugi_advance(session_id: str | None, api_key: str | None) -> Call[list[str]]:
    body = {"session_id": session_id} if session_id is not None else NO_BODY
    return Call(
        "POST", _path("kintsugi", "advance"), body=body, api_key=api_key, read=_key("advanced")
    )


# -- Asleep ----------------------------------------------------------------------------


def asleep_profile(user_id: str, api_key: str | None) -> Call[AsleepProfile]:
    return Call("GET", _path("asleep", "users", user_id, "profile"), api_key=api_key)


def set_asleep_profile(
    user_id: str, profile: str | None, api_key: str | None
) -> Call[AsleepProfile]:
    path = _path("asleep", "users", user_id, "profile")
    return Call("PUT", path, body={"profile": profile}, api_key=api_key)


def set_hypnogram(
    session_id: str,
    sleep_stages: Sequence[int],
    breath_stages: Sequence[int] | None,
    snoring_stages: Sequence[int] | None,
    api_key: str | None,
) -> Call[HypnogramResult]:
    body: dict[str, Any] = {"sleep_stages": list(sleep_stages)}
    if breath_stages is not None:
        body["breath_stages"] = list(breath_stages)
    if snoring_stages is not None:
        body["snoring_stages"] = list(snoring_stages)
    path = _path("asleep", "sessions", session_id, "hypnogram")
    return Call("PUT", path, body=body, api_key=api_key)


def delete_hypnogram(session_id: str, api_key: str | None) -> Call[None]:
    path = _path("asleep", "sessions", session_id, "hypnogram")
    return Call("DELETE", path, api_key=api_key, read=lambda _: None)


def complete_asleep_session(session_id: str, api_key: str | None) -> Call[SessionState]:
    return Call("POST", _path("asleep", "sessions", session_id, "complete"), api_key=api_key)


def synthetic_night(
    user_id: str,
    callback_url: str,
    version: str | None,
    hours: float | None,
    start_time: datetime | str | None,
    profile: str | None,
    cadence: int | None,
    api_key: str | None,
) -> Call[Night]:
    start = None if start_time is None else _instant(start_time)
    options = {
        "version": version,
        "hours": hours,
        "start_time": start,
        "profile": profile,
        "cadence": cadence,
    }
    body: dict[str, Any] = {"callback_url": callback_url}
    body.update((name, value) for name, value in options.items() if value is not None)
    path = _path("asleep", "users", user_id, "nights")
    return Call("POST", path, body=body, api_key=api_key)
