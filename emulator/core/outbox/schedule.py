"""Delivery settings and the retry schedule: a pure function of (settings, seed, id).

Retries, timeouts and the expected response code are not documented by the vendor
(asleep-api.md §4.6); the schedule here is the emulator's (docs/webhooks.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from emulator.core.egress import AllowList
from emulator.core.randomness import derive

_MAX_EXPONENT: Final = 62  # 2**62 * any sane base is far past every cap; avoids float overflow


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """Outgoing callback delivery: the ``webhooks.*`` settings."""

    timeout_seconds: float = 5.0
    max_attempts: int = 5
    backoff_base_seconds: float = 0.5
    backoff_max_seconds: float = 30.0
    # Each retry waits up to this share longer than its exponential step (seeded jitter).
    jitter_ratio: float = 0.1
    # HTTP calls in flight at once, over all sessions (one per session at a time).
    concurrency: int = 16
    # Deliveries kept in the log (GET /_emulator/callbacks); the oldest finished go first.
    log_size: int = 10_000
    # On shutdown, pending deliveries get this long to finish before being abandoned.
    shutdown_grace_seconds: float = 5.0
    # Hosts and networks callbacks may go to (empty: anywhere); emulator.core.egress.
    allowed_hosts: tuple[str, ...] = ()
    # With --state-url: how long a replica's claim on a session's queue lasts unless
    # renewed; a replica that dies hands its deliveries over after at most this long.
    lease_seconds: float = 10.0

    def __post_init__(self) -> None:
        validate(self)


def backoff_delay(settings: WebhookSettings, seed: int, delivery_id: str, attempt: int) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1-based) before the next one.

    ``min(base * 2**(attempt-1), max) * (1 + jitter_ratio * u)`` with ``u`` in [0, 1)
    derived from (seed, delivery id, attempt): jitter keeps many failing sessions
    from retrying in lock-step, the seed keeps the schedule reproducible.
    """
    if attempt < 1:
        raise ValueError("attempts are numbered from 1")
    step = settings.backoff_base_seconds * 2.0 ** min(attempt - 1, _MAX_EXPONENT)
    capped = min(step, settings.backoff_max_seconds)
    u = derive(seed, "outbox", "jitter", delivery_id, attempt) / 2.0**64
    return capped * (1.0 + settings.jitter_ratio * u)


def retry_schedule(settings: WebhookSettings, seed: int, delivery_id: str) -> list[float]:
    """The waits before attempts 2 .. ``max_attempts`` of one delivery."""
    return [backoff_delay(settings, seed, delivery_id, n) for n in range(1, settings.max_attempts)]


def validate(settings: WebhookSettings) -> None:
    if settings.timeout_seconds <= 0:
        raise ValueError("webhooks.timeout_seconds must be positive")
    if settings.max_attempts < 1:
        raise ValueError("webhooks.max_attempts must be at least 1")
    if settings.backoff_base_seconds < 0 or settings.backoff_max_seconds < 0:
        raise ValueError("webhooks backoff must not be negative")
    if settings.jitter_ratio < 0:
        raise ValueError("webhooks.jitter_ratio must not be negative")
    if settings.concurrency < 1:
        raise ValueError("webhooks.concurrency must be at least 1")
    if settings.log_size < 1:
        raise ValueError("webhooks.log_size must be at least 1")
    if settings.shutdown_grace_seconds < 0:
        raise ValueError("webhooks.shutdown_grace_seconds must not be negative")
    AllowList.parse(settings.allowed_hosts)
    if not settings.lease_seconds >= 0.3:
        raise ValueError("webhooks.lease_seconds must be at least 0.3")
