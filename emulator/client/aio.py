"""``AsyncEmulatorClient``: the asyncio twin of ``EmulatorClient`` (same methods, awaited).

Both twins send the same prepared calls (``emulator.client.calls``) and judge the
answers the same way (``emulator.client.verify``); this one awaits the sending and,
in ``wait_for``, the pause between polls. ``emulator.client.sync`` says how tenants
are named; docs/client.md is the guide.
"""

from __future__ import annotations

import asyncio
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


class AsyncEmulatorClient(ClientBase):
    """An asyncio client of one emulator's control API, built as ``EmulatorClient`` is
    (``token``, ``api_key``, ``timeout``; ``transport`` an ``httpx.AsyncBaseTransport``).
    Use it in an ``async with`` block, or await ``aclose()``.
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        api_key: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(base_url, token, api_key, timeout)
        self._http = httpx.AsyncClient(
            base_url=self.base_url, headers=self._headers(), transport=transport
        )

    def with_api_key(self, api_key: str | None) -> AsyncEmulatorClient:
        """The same client (same connections) bound to another tenant, or to none."""
        return self._rebound(api_key)

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncEmulatorClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def run(self, call: calls.Call[T]) -> T:
        """Send one prepared call (the methods below all end here)."""
        return self._answer(call, await self._http.request(**self._arguments(call)))

    # -- the emulator --------------------------------------------------------------

    async def health(self) -> t.Health:
        return await self.run(calls.health())

    async def reset(self, *, api_key: str | None = None) -> t.ResetResult:
        """Back to start-up: everything, or (with a tenant) that tenant's state only."""
        return await self.run(calls.reset(api_key))

    async def scenarios(self) -> list[t.Scenario]:
        return await self.run(calls.scenarios())

    async def tenants(self) -> dict[str, Any]:
        return await self.run(calls.tenants())

    async def openapi(self) -> dict[str, Any]:
        return await self.run(calls.openapi())

    async def contract(self) -> dict[str, Any]:
        """The response-validation report (violations seen so far)."""
        return await self.run(calls.contract())

    async def load_demo(self, *, api_key: str | None = None) -> dict[str, Any]:
        """Replace the tenant's state (default ``demo-key``) with the demo data set."""
        return await self.run(calls.demo(api_key))

    async def snapshot(self, *, api_key: str | None = None) -> dict[str, Any]:
        """The world (or the tenant's part of it) as a JSON document."""
        return await self.run(calls.state(api_key))

    async def restore(
        self, document: Mapping[str, Any], *, api_key: str | None = None
    ) -> t.RestoreResult:
        return await self.run(calls.restore_state(document, api_key))

    # -- time ----------------------------------------------------------------------

    async def clock(self) -> t.Clock:
        return await self.run(calls.clock())

    async def set_clock(
        self,
        *,
        freeze: bool = False,
        resume: bool = False,
        at: datetime | str | None = None,
        advance: float | timedelta | None = None,
    ) -> t.Clock:
        """Freeze, set (``at``), advance and resume the virtual clock, in that order."""
        return await self.run(
            calls.change_clock(freeze=freeze, resume=resume, at=at, advance=advance)
        )

    async def freeze_clock(self, at: datetime | str | None = None) -> t.Clock:
        return await self.set_clock(freeze=True, at=at)

    async def advance_clock(self, seconds: float | timedelta) -> t.Clock:
        return await self.set_clock(advance=seconds)

    async def progression(self) -> dict[str, t.Policy]:
        return await self.run(calls.progression())

    async def set_progression(
        self,
        vendor: str,
        mode: str | None = None,
        *,
        polls: int | None = None,
        seconds: float | None = None,
    ) -> dict[str, t.Policy]:
        """How ``vendor``'s asynchronous work finishes: immediate, polls, seconds, manual."""
        return await self.run(calls.set_progression(vendor, mode, polls, seconds))

    async def advance(
        self, *, api: str | None = None, session_id: str | None = None, api_key: str | None = None
    ) -> t.AdvanceResult:
        """Finish pending asynchronous work now (every vendor's, or ``api``'s)."""
        return await self.run(calls.advance(api, session_id, api_key))

    # -- faults --------------------------------------------------------------------

    async def faults(self) -> list[t.FaultRule]:
        return await self.run(calls.faults())

    async def fault(self, rule_id: str) -> t.FaultRule:
        return await self.run(calls.fault(rule_id))

    async def add_fault(
        self, rule: Mapping[str, Any] | None = None, *, api_key: str | None = None, **fields: Any
    ) -> t.FaultRule:
        """Append one rule (``{"action": "throttle", "path": "/v2/*", ...}`` or keywords)."""
        return await self.run(calls.add_fault(rule, fields, api_key))

    async def set_faults(
        self, rules: Sequence[Mapping[str, Any]], *, api_key: str | None = None
    ) -> list[t.FaultRule]:
        """Replace the rules (with a tenant: only that tenant's, scoped to it)."""
        return await self.run(calls.set_faults(rules, api_key))

    async def clear_faults(self, *, api_key: str | None = None) -> int:
        return await self.run(calls.clear_faults(api_key))

    async def delete_fault(self, rule_id: str) -> int:
        return await self.run(calls.delete_fault(rule_id))

    # -- the request journal -------------------------------------------------------

    async def requests(self, **filters: Unpack[t.RequestFilters]) -> list[t.JournalEntry]:
        """Vendor requests received, oldest first. Filters (``types.RequestFilters``):
        ``method``, ``path_prefix``, ``vendor``, ``faulted``, ``limit``, ``api_key``."""
        return await self.run(calls.requests(filters))

    async def clear_requests(self, *, api_key: str | None = None) -> int:
        return await self.run(calls.clear_requests(api_key))

    async def assert_requested(
        self, method: str, path: str, *, api_key: str | None = None, count: int | None = None
    ) -> list[t.JournalEntry]:
        """The matching journal entries; ``RequestNotFound`` (an AssertionError) listing
        the nearest requests received when there are none (or not ``count``).

        ``path`` is exact or a shell-style pattern (``/v2/predict/*``); ``api_key`` (by
        default the client's) restricts to one tenant; ``count`` asks for exactly that
        many. Near misses come from the whole journal, other tenants' requests included."""
        return await self.run(requested(method, path, api_key or self.api_key, count))

    async def assert_not_requested(
        self, method: str, path: str, *, api_key: str | None = None
    ) -> None:
        await self.assert_requested(method, path, api_key=api_key, count=0)

    # -- webhook deliveries --------------------------------------------------------

    async def callbacks(self, **filters: Unpack[t.CallbackFilters]) -> list[t.Delivery]:
        """The delivery log, oldest first. Filters (``types.CallbackFilters``): ``event``,
        ``status``, ``session_id``, ``user_id``, ``limit``, ``api_key``."""
        return await self.run(calls.callbacks(filters))

    async def callback(self, delivery_id: str) -> t.Delivery:
        return await self.run(calls.callback(delivery_id))

    async def clear_callbacks(self, *, api_key: str | None = None) -> int:
        return await self.run(calls.clear_callbacks(api_key))

    async def flush(self, timeout: float = 30.0, *, api_key: str | None = None) -> t.FlushResult:
        """Wait (server-side) until no delivery is pending; 504 ``flush_timeout`` else."""
        return await self.run(calls.flush(timeout, api_key))

    async def redeliver(self, delivery_id: str) -> t.Redelivery:
        return await self.run(calls.redeliver(delivery_id))

    async def failure_switches(self) -> list[t.FailureSwitch]:
        return await self.run(calls.failure_switches())

    async def set_failure_switch(
        self,
        mode: str,
        *,
        remaining: int | None = None,
        event: str | None = None,
        api_key: str | None = None,
    ) -> t.FailureSwitch | None:
        """drop, fail_after_send, duplicate (or off) for the tenant's deliveries."""
        return await self.run(calls.set_failure_switch(mode, remaining, event, api_key))

    async def clear_failure_switch(self, *, api_key: str | None = None) -> bool:
        return await self.run(calls.clear_failure_switch(api_key))

    async def wait_for(
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
        while (found := waiting.found(await self.run(waiting.call))) is None:
            await asyncio.sleep(interval)
        return found

    # -- Kintsugi Voice ------------------------------------------------------------

    async def kintsugi_sessions(self, *, api_key: str | None = None) -> list[t.KintsugiSession]:
        return await self.run(calls.kintsugi_sessions(api_key))

    async def kintsugi_outcomes(self, *, api_key: str | None = None) -> list[t.OutcomeEntry]:
        return await self.run(calls.kintsugi_outcomes(api_key))

    async def force_outcome(
        self,
        *,
        user_id: str | None = None,
        session_id: str | None = None,
        api_key: str | None = None,
        **outcome: Any,
    ) -> t.OutcomeEntry:
        """Force every later prediction of a user (or one session): depression_severity,
        depression_binary, anxiety_severity, error, hold."""
        return await self.run(calls.force_outcome(outcome, user_id, session_id, api_key))

    async def clear_outcome(
        self,
        *,
        user_id: str | None = None,
        session_id: str | None = None,
        api_key: str | None = None,
    ) -> bool:
        return await self.run(calls.clear_outcome(user_id, session_id, api_key))

    async def kintsugi_advance(
        self, *, session_id: str | None = None, api_key: str | None = None
    ) -> list[str]:
        """Finish `processing` v2 predictions now; the session ids finished."""
        return await self.run(calls.kintsugi_advance(session_id, api_key))

    # -- Asleep --------------------------------------------------------------------

    async def asleep_profile(self, user_id: str, *, api_key: str | None = None) -> t.AsleepProfile:
        return await self.run(calls.asleep_profile(user_id, api_key))

    async def set_asleep_profile(
        self, user_id: str, profile: str | None, *, api_key: str | None = None
    ) -> t.AsleepProfile:
        """The sleeper profile of a user's nights (None: the seeded default)."""
        return await self.run(calls.set_asleep_profile(user_id, profile, api_key))

    async def set_hypnogram(
        self,
        session_id: str,
        sleep_stages: Sequence[int],
        *,
        breath_stages: Sequence[int] | None = None,
        snoring_stages: Sequence[int] | None = None,
        api_key: str | None = None,
    ) -> t.HypnogramResult:
        """Make this exact night (one stage per 30 s epoch) the session's result."""
        return await self.run(
            calls.set_hypnogram(session_id, sleep_stages, breath_stages, snoring_stages, api_key)
        )

    async def delete_hypnogram(self, session_id: str, *, api_key: str | None = None) -> None:
        await self.run(calls.delete_hypnogram(session_id, api_key))

    async def complete_asleep_session(
        self, session_id: str, *, api_key: str | None = None
    ) -> t.SessionState:
        """Finish the analysis of a CLOSED session now."""
        return await self.run(calls.complete_asleep_session(session_id, api_key))

    async def synthetic_night(
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
        return await self.run(call)
