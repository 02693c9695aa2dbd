"""The failure switches in force: at most one per tenant, plus one for every tenant.

``Switches`` keeps them in this process; the shared outbox keeps them in Redis
(``shared.SharedSwitches``) so that ``remaining`` counts attempts on every replica.
"""

from __future__ import annotations

from dataclasses import replace

from emulator.core.outbox.records import Delivery, FailureSwitch


class Switches:
    """Failure switches by tenant (None: every tenant without its own)."""

    def __init__(self) -> None:
        self._switches: dict[str | None, FailureSwitch] = {}

    def set(self, switch: FailureSwitch) -> FailureSwitch:
        self._switches[switch.api_key] = replace(switch)
        return self._switches[switch.api_key]

    def clear(self, api_key: str | None = None) -> bool:
        return self._switches.pop(api_key, None) is not None

    def all(self) -> list[FailureSwitch]:
        return list(self._switches.values())

    def reset(self, api_key: str | None) -> None:
        if api_key is None:
            self._switches.clear()
        else:
            self._switches.pop(api_key, None)

    def for_delivery(self, delivery: Delivery) -> FailureSwitch | None:
        """The switch that shapes ``delivery``'s next attempt, if any."""
        switch = self._switches.get(delivery.api_key) or self._switches.get(None)
        return switch if switch is not None and switch.matches(delivery) else None

    def consume(self, switch: FailureSwitch) -> None:
        """One attempt was shaped by ``switch``: count it down, drop it when spent."""
        if switch.remaining is None:
            return
        switch.remaining -= 1
        if switch.remaining <= 0 and self._switches.get(switch.api_key) is switch:
            del self._switches[switch.api_key]
