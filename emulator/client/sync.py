"""``EmulatorClient``: the typed, blocking client of the control API (``/_emulator``).

Every method sends one prepared control call (``emulator.client.calls``; ``wait_for``
repeats its poll), and ``assert_requested`` and ``wait_for`` judge the answers with
``emulator.client.verify``: the class only does the I/O. ``api_key`` on a method
names the tenant for that call; without it the client's own ``api_key`` (if any) is
used. The tenant travels as the ``X-API-Key`` header. docs/client.md is the guide.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, TypeVar, Unpack

import httpx

from emulator.client import calls
from emulator.client import types as t
from emulator.client.base import DEFAULT_TIMEOUT, ClientBase
from emulator.client.verify import Waiting, requested

T = TypeVar("T")


class EmulatorClient(ClientBase):
    """A blocking client of one emulator's control API.

    ``EmulatorClient("http://127.0.0.1:8080", token=None, api_key=None)``; ``token`` is
    sent as ``Authorization: Bearer`` (an emulator started with ``--control-token``
    requires it). Use it in a ``with`` block, or call ``close()``.
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        api_key: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(base_url, token, api_key, timeout)
        self._http = httpx.Client(
            base_url=self.base_url, headers=self._headers(), transport=transport
        )

    def with_api_key(self, api_key: str | None) -> EmulatorClient:
        """The same client (same connections) bound to another tenant, or to none."""
        return self._rebound(api_key)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> EmulatorClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def run(self, call: calls.Call[T]) -> T:
        """Send one prepared call (the methods below all end here)."""
        return self._answer(call, self._http.request(**self._arguments(call)))

    # -- the emulator --------------------------------------------------------------

    def health(self) -> t.Health:
        return self.run(calls.health())

    def reset(self, *, api_key: str | None = None) -> t.ResetResult:
        """Back to start-up: everything, or (with a tenant) that tenant's state only."""
        return self.run(calls.reset(api_key))

    def scenarios(self) -> list[t.Scenario]:
        return self.run(calls.scenarios())

    def tenants(self) -> dict[str, Any]:
        return self.run(calls.tenants())

    def openapi(self) -> dict[str, Any]:
        return self.run(calls.openapi())

    def contract(self) -> dict[str, Any]:
        """The response-validation report (violations seen so far)."""
        return self.run(calls.contract())

    def load_demo(self, *, api_key: str | None = None) -> dict[str, Any]:
        """Replace the tenant's state (default ``demo-key``) with the demo data set."""
        return self.run(calls.demo(api_key))

    def snapshot(self, *, api_key: str | None = None) -> dict[str, Any]:
        """The world (or the tenant's part of it) as a JSON document."""
        return self.run(calls.state(api_key))

    def restore(
        self, document: Mapping[str, Any], *, api_key: str | None = None
    ) -> t.RestoreResult:
        return self.run(calls.restore_state(document, api_key))

    # -- time ----------------------------------------------------------------------

    def clock(self) -> t.Clock:
        return self.run(calls.clock())

    def set_clock(
        self,
        *,
        freeze: bool = False,
        resume: bool = False,
        at: datetime | str | None = None,
        advance: float | timedelta | None = None,
    ) -> t.Clock:
        """Freeze, set (``at``), advance and resume the virtual clock, in that order."""
        return self.run(calls.change_clock(freeze=freeze, resume=resume, at=at, advance=advance))

    def freeze_clock(self, at: datetime | str | None = None) -> t.Clock:
        return self.set_clock(freeze=True, at=at)

    def advance_clock(self, seconds: float | timedelta) -> t.Clock:
        return self.set_clock(advance=seconds)

    def progression(self) -> dict[str, t.Policy]:
        return self.run(calls.progression())

    def set_progression(
        self,
        vendor: str,
        mode: str | None = None,
        *,
        polls: int | None = None,
        seconds: float | None = None,
    ) -> dict[str, t.Policy]:
        """How ``vendor``'s asynchronous work finishes: immediate, polls, seconds, manual."""
        return self.run(calls.set_progression(vendor, mode, polls, seconds))

    def advance(
        self, *, api: str | None = None, session_id: str | None = None, api_key: str | None = None
    ) -> t.AdvanceResult:
        """Finish pending asynchronous work now (every vendor's, or ``api``'s)."""
        return self.run(calls.advance(api, session_id, api_key))

    # -- faults --------------------------------------------------------------------

    def faults(self) -> list[t.FaultRule]:
        return self.run(calls.faults())

    def fault(self, rule_id: str) -> t.FaultRule:
        return self.run(calls.fault(rule_id))

    def add_fault(
        self, rule: Mapping[str, Any] | None = None, *, api_key: str | None = None, **fields: Any
    ) -> t.FaultRule:
        """Append one rule (``{"action": "throttle", "path": "/v2/*", ...}`` or keywords)."""
        return self.run(calls.add_fault(rule, fields, api_key))

    def set_faults(
        self, rules: Sequence[Mapping[str, Any]], *, api_key: str | None = None
    ) -> list[t.FaultRule]:
        """Replace the rules (with a tenant: only that tenant's, scoped to it)."""
        return self.run(calls.set_faults(rules, api_key))

    def clear_faults(self, *, api_key: str | None = None) -> int:
        return self.run(calls.clear_faults(api_key))

    def delete_fault(self, rule_id: str) -> int:
        return self.run(calls.delete_fault(rule_id))

    # -- the request journal -------------------------------------------------------

    def requests(self, **filters: Unpack[t.RequestFilters]) -> list[t.JournalEntry]:
        """Vendor requests received, oldest first. Filters (``types.RequestFilters``):
        ``method``, ``path_prefix``, ``vendor``, ``faulted``, ``limit``, ``api_key``."""
        return self.run(calls.requests(filters))

    def clear_requests(self, *, api_key: str | None = None) -> int:
        return self.run(calls.clear_requests(api_key))

    def assert_requested(
        self, method: str, path: str, *, api_key: str | None = None, count: int | None = None
    ) -> list[t.JournalEntry]:
        """The matching journal entries; ``RequestNotFound`` (an AssertionError) listing
        the nearest requests received when there are none (or not ``count``).

        ``path`` is exact or a shell-style pattern (``/v2/predict/*``); ``api_key`` (by
        default the client's) restricts to one tenant; ``count`` asks for exactly that
        many. Near misses come from the whole journal, other tenants' requests included."""
        return self.run(requested(method, path, api_key or self.api_key, count))

    def assert_not_requested(self, method: str, path: str, *, api_key: str | None = None) -> None:
        self.assert_requested(method, path, api_key=api_key, count=0)

    # -- webhook deliveries --------------------------------------------------------

    def callbacks(self, **filters: Unpack[t.CallbackFilters]) -> list[t.Delivery]:
        """The delivery log, oldest first. Filters (``types.CallbackFilters``): ``event``,
        ``status``, ``session_id``, ``user_id``, ``limit``, ``api_key``."""
        return self.run(calls.callbacks(filters))

    def callback(self, delivery_id: str) -> t.Delivery:
        return self.run(calls.callback(delivery_id))

    def clear_callbacks(self, *, api_key: str | None = None) -> int:
        return self.run(calls.clear_callbacks(api_key))

    def flush(self, timeout: float = 30.0, *, api_key: str | None = None) -> t.FlushResult:
        """Wait (server-side) until no delivery is pending; 504 ``flush_timeout`` else."""
        return self.run(calls.flush(timeout, api_key))

    def redeliver(self, delivery_id: str) -> t.Redelivery:
        return self.run(calls.redeliver(delivery_id))

    def failure_switches(self) -> list[t.FailureSwitch]:
        return self.run(calls.failure_switches())

    def set_failure_switch(
        self,
        mode: str,
        *,
        remaining: int | None = None,
        event: str | None = None,
        api_key: str | None = None,
    ) -> t.FailureSwitch | None:
        """drop, fail_after_send, duplicate (or off) for the tenant's deliveries."""
        return self.run(calls.set_failure_switch(mode, remaining, event, api_key))

    def clear_failure_switch(self, *, api_key: str | None = None) -> bool:
        return self.run(calls.clear_failure_switch(api_key))

    def wait_for(
        self,
        event: str | None = None,
        *,
        predicate: Callable[[t.Delivery], bool] | None = None,
        count: int = 1,
        status: str | None = "delivered",
        timeout: float = 10.0,
        interval: float = 0.05,
        session_id: str | None = None,
        api_key: str | None = None,
    ) -> list[t.Delivery]:
        """Poll the delivery log until ``count`` deliveries of ``event`` (any, if None)
        with ``status`` (any, if None) satisfy ``predicate``; ``WaitTimeout`` else."""
        waiting = Waiting(event, status, predicate, count, timeout, session_id, api_key)
        while (found := waiting.found(self.run(waiting.call))) is None:
            time.sleep(interval)
        return found

    # -- Kintsugi Voice ------------------------------------------------------------

    def kintsugi_sessions(self, *, api_key: str | None = None) -> list[t.KintsugiSession]:
        return self.run(calls.kintsugi_sessions(api_key))

    def kintsugi_outcomes(self, *, api_key: str | None = None) -> list[t.OutcomeEntry]:
        return self.run(calls.kintsugi_outcomes(api_key))

    def force_outcome(
        self,
        *,
        user_id: str | None = None,
        session_id: str | None = None,
        api_key: str | None = None,
        **outcome: Any,
    ) -> t.OutcomeEntry:
        """Force every later prediction of a user (or one session): depression_severity,
        depression_binary, anxiety_severity, error, hold."""
        return self.run(calls.force_outcome(outcome, user_id, session_id, api_key))

    def clear_outcome(
        self,
        *,
        user_id: str | None = None,
        session_id: str | None = None,
        api_key: str | None = None,
    ) -> bool:
        return self.run(calls.clear_outcome(user_id, session_id, api_key))

    def kintsugi_advance(
        self, *, session_id: str | None = None, api_key: str | None = None
    ) -> list[str]:
        """Finish `processing` v2 predictions now; the session ids finished."""
        return self.run(calls.kintsugi_advance(session_id, api_key))

    # -- Asleep --------------------------------------------------------------------

    def asleep_profile(self, user_id: str, *, api_key: str | None = None) -> t.AsleepProfile:
        return self.run(calls.asleep_profile(user_id, api_key))

    def set_asleep_profile(
        self, user_id: str, profile: str | None, *, api_key: str | None = None
    ) -> t.AsleepProfile:
        """The sleeper profile of a user's nights (None: the seeded default)."""
        return self.run(calls.set_asleep_profile(user_id, profile, api_key))

    def set_hypnogram(
        self,
        session_id: str,
        sleep_stages: Sequence[int],
        *,
        breath_stages: Sequence[int] | None = None,
        snoring_stages: Sequence[int] | None = None,
        api_key: str | None = None,
    ) -> t.HypnogramResult:
        """Make this exact night (one stage per 30 s epoch) the session's result."""
        return self.run(
            calls.set_hypnogram(session_id, sleep_stages, breath_stages, snoring_stages, api_key)
        )

    def delete_hypnogram(self, session_id: str, *, api_key: str | None = None) -> None:
        self.run(calls.delete_hypnogram(session_id, api_key))

    def complete_asleep_session(
        self, session_id: str, *, api_key: str | None = None
    ) -> t.SessionState:
        """Finish the analysis of a CLOSED session now."""
        return self.run(calls.complete_asleep_session(session_id, api_key))

    def synthetic_night(
        self,
        user_id: str,
        callback_url: str,
        *,
        version: str | None = None,
        hours: float | None = None,
        start_time: datetime | str | None = None,
        profile: str | None = None,
        cadence: int | None = None,
        api_key: str | None = None,
    ) -> t.Night:
        """Play a whole night for a user and queue every webhook it causes."""
        call = calls.synthetic_night(
            user_id, callback_url, version, hours, start_time, profile, cadence, api_key
        )
        return self.run(call)
