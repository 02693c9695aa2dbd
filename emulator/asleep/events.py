"""Asleep's analysis events: what the session rules queue for webhook delivery.

``InferenceComplete`` (a periodic analysis window fired) and ``SessionComplete`` (the
final analysis finished) are put in a tenant view's ``outbox`` by ``state.AsleepState``
and delivered by ``webhooks``; ``analysed_epochs`` is the window arithmetic behind them.
"""

from __future__ import annotations

from dataclasses import dataclass

from emulator.asleep.callbacks import FIRST_WINDOW, last_seq_of, night_windows


@dataclass(frozen=True, slots=True)
class InferenceComplete:
    """A periodic analysis finished (webhook ``INFERENCE_COMPLETE``, §4.6).

    One per firing window, in order, once the highest received ``seq_num`` has
    passed the window's end (gaps do not hold analysis back): seq 39 first (20 min),
    then every plan cadence; ``inference_seq_num = seq_num // 10`` (§2.2, INFERRED).
    """

    user_id: str
    session_id: str
    seq_num: int
    inference_seq_num: int
    callback_url: str | None
    callback_version: str | None


@dataclass(frozen=True, slots=True)
class SessionComplete:
    """The final analysis finished (webhook ``SESSION_COMPLETE``, §4.6)."""

    user_id: str
    session_id: str
    callback_url: str | None
    callback_version: str | None


Event = InferenceComplete | SessionComplete


def analysed_epochs(
    uploaded_span: int, cadence_minutes: int, first_window: int = FIRST_WINDOW
) -> int:
    """Leading epochs real-time analysis has covered after ``uploaded_span`` chunks.

    Analysis runs window by window at the plan's cadence (``callbacks`` window
    arithmetic): the view covers every epoch up to the last window that fired.
    """
    windows = night_windows(uploaded_span, cadence_minutes, first_window=first_window)
    return last_seq_of(windows[-1]) + 1 if windows else 0
