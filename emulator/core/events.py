"""A typed, synchronous event bus: vendors publish domain events, subscribers react.

An event is any object; a handler subscribes to a class and receives every event that
is an instance of it, with the API key it belongs to. Handlers run in subscription
order, on the publisher's thread, before ``publish`` returns: the Asleep webhook
handler queues its delivery (it never sends from here) while the request that caused
the event is still answering, so the callback is in the outbox before the response.
A failing handler is logged and does not stop the others or the publisher: the
request that caused an event did nothing wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

log = logging.getLogger("emulator.events")

E = TypeVar("E")
Handler = Callable[[str, Any], None]


class EventBus:
    """Subscriptions by event class; ``publish`` hands an event to every matching one."""

    def __init__(self) -> None:
        self._handlers: list[tuple[type[Any], Handler]] = []

    def subscribe(self, kind: type[E], handler: Callable[[str, E], None]) -> None:
        """Call ``handler(api_key, event)`` for every published instance of ``kind``."""
        self._handlers.append((kind, handler))

    def unsubscribe(self, handler: Callable[[str, Any], None]) -> None:
        self._handlers = [(k, h) for k, h in self._handlers if h is not handler]

    def publish(self, api_key: str, event: object) -> None:
        for kind, handler in self._handlers:
            if isinstance(event, kind):
                try:
                    handler(api_key, event)
                except Exception:
                    log.exception("event handler %r failed on %r", handler, event)
