"""The outbox: real, non-blocking delivery of outgoing callbacks, with retries and a log.

``outbox.Outbox`` queues and sends; ``records`` holds the values (``Delivery``,
``Attempt``, ``FailureSwitch``, ``DeliveryLog``); ``schedule`` the settings and the
seeded retry schedule; ``http`` one HTTP call. The rules are in ``outbox.py``.
"""

from emulator.core.outbox.outbox import Outbox
from emulator.core.outbox.records import (
    FAIL_MODES,
    FINAL,
    STATUSES,
    Attempt,
    AttemptJson,
    Delivery,
    DeliveryJson,
    DeliveryLog,
    FailMode,
    FailureSwitch,
    Status,
    iso_time,
)
from emulator.core.outbox.schedule import WebhookSettings, backoff_delay, retry_schedule

__all__ = [
    "FAIL_MODES",
    "FINAL",
    "STATUSES",
    "Attempt",
    "AttemptJson",
    "Delivery",
    "DeliveryJson",
    "DeliveryLog",
    "FailMode",
    "FailureSwitch",
    "Outbox",
    "Status",
    "WebhookSettings",
    "backoff_delay",
    "iso_time",
    "retry_schedule",
]
