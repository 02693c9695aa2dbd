"""Asleep webhook payloads: which windows fire, and every callback body per version.

This module owns the *content* of Asleep callbacks (seed 000 = the v1.0 Callback
page; asleep-api.md §4.6 for V1/V2/V3, §2.2 for the cadence):

* window arithmetic: which analysis windows fire an ``INFERENCE_COMPLETE`` for a
  cadence, and which are newly due given a session's progress (``due_windows``);
* the ``INFERENCE_COMPLETE`` and ``SESSION_COMPLETE`` bodies of V1, V2 and V3;
* the request headers (``x-api-key``, ``x-user-id``), callback-URL validation and
  how the payload version is chosen.

Pure: no clock, no I/O, no randomness. The HTTP layer supplies the stage arrays
and the already-rendered Data API result; ``emulator.core.outbox`` delivers the bodies.

Window arithmetic (asleep-api.md §4.6 "Window arithmetic [INFERRED]"): chunks are
30 s and ``seq_num`` is 0-based (§2.2), so window ``k`` covers seq ``10k .. 10k+9``
(5 minutes).  An event for window ``k`` carries ``seq_num = 10k+9`` and
``inference_seq_num = k = seq_num // 10`` -- the documented example pairs seq 39
with inference_seq_num 3 (seed 000 §1.3.1).  Analysis starts after 20 minutes
(40 chunks), so the first window to fire is ``k = 3``; after that one window in
``cadence_minutes / 5`` fires (``k = 3, 4, 5, ...`` at 5 minutes, ``3, 7, 11, ...``
at 20, ``3, 11, 19, ...`` at 40).  Only complete windows fire: the tail of a night
that ends mid-window is reported by ``SESSION_COMPLETE`` alone.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal
from urllib.parse import urlsplit

from emulator.asleep.settings import CADENCES, WEBHOOK_VERSIONS, WebhookVersion
from emulator.core import lazy

if TYPE_CHECKING:
    from emulator.asleep import documents
else:
    documents = lazy.module("emulator.asleep.documents")  # the stat key order (pydantic)

Version = WebhookVersion
Event = Literal["INFERENCE_COMPLETE", "SESSION_COMPLETE"]

VERSIONS: Final = WEBHOOK_VERSIONS
INFERENCE_COMPLETE: Final = "INFERENCE_COMPLETE"
SESSION_COMPLETE: Final = "SESSION_COMPLETE"

EPOCH_SECONDS: Final = 30
"""One upload chunk = one stage value (asleep-api.md §2.2)."""
WINDOW_EPOCHS: Final = 10
"""A 5-minute analysis window: ``inference_seq_num`` is seq_num in 5-minute steps."""
WINDOW_MINUTES: Final = WINDOW_EPOCHS * EPOCH_SECONDS // 60
FIRST_WINDOW: Final = 3
"""Analysis starts once 20 minutes (40 chunks) are in: seq 39 -> inference_seq_num 3."""
LEGACY_FRAME_WINDOWS: Final = 4
"""V1/V2 send the previous 20-minute frame: 40 values, windows ``k-3 .. k`` (seed 000)."""
# CADENCES (settings): minutes between INFERENCE_COMPLETE events by plan (§2.2, §9.3).

DATA_API_FOR_VERSION: Final[Mapping[Version, str]] = {
    # Which Get Single Session result each SESSION_COMPLETE version is built from:
    # V3 and V2 (INFERRED §1.6: the v2.0-era Get Session already was /data/v3) take the
    # /data/v3 result; V1 flattens the /data/v2 result into seed 000's Sleep Data Object.
    "V1": "/data/v2",
    "V2": "/data/v3",
    "V3": "/data/v3",
}


MAX_CALLBACK_URL_LENGTH: Final = 2048


# --------------------------------------------------------------------------- windows


def first_window_for(min_analysis_seconds: int) -> int:
    """The first window that fires when analysis needs ``min_analysis_seconds`` of audio.

    1200 s (the documented 20 minutes, ``AsleepSettings.min_analysis_seconds``) gives
    ``FIRST_WINDOW`` = 3; a 5-minute threshold (§9.2) would give 0.
    """
    window_seconds = WINDOW_EPOCHS * EPOCH_SECONDS
    return max(0, -(-max(min_analysis_seconds, 1) // window_seconds) - 1)


def _step(cadence_minutes: int) -> int:
    if cadence_minutes not in CADENCES:
        raise ValueError(f"cadence_minutes must be one of {CADENCES}, not {cadence_minutes!r}")
    return cadence_minutes // WINDOW_MINUTES


def window_fires(k: int, cadence_minutes: int, *, first_window: int = FIRST_WINDOW) -> bool:
    """Whether analysis window ``k`` sends an INFERENCE_COMPLETE at this cadence."""
    step = _step(cadence_minutes)
    return k >= first_window and (k - first_window) % step == 0


def last_seq_of(k: int) -> int:
    """``seq_num`` of the event for window ``k``: its last chunk (seed 000: 39 -> 3)."""
    return WINDOW_EPOCHS * k + WINDOW_EPOCHS - 1


def inference_seq_num(seq_num: int) -> int:
    """``seq_num`` in 5-minute increments (seed 000 §1.3.1; INFERRED floor, §2.2)."""
    return seq_num // WINDOW_EPOCHS


def due_windows(
    last_analysed_seq: int | None,
    cadence_minutes: int,
    last_notified: int | None = None,
    *,
    first_window: int = FIRST_WINDOW,
) -> list[int]:
    """Windows whose INFERENCE_COMPLETE is newly due, oldest first.

    ``last_analysed_seq`` is the highest seq_num the analysis has covered (None or
    -1: nothing yet); ``last_notified`` the ``inference_seq_num`` of the last event
    already emitted for the session (None: none).  Every firing window that is
    complete (its last seq analysed) and newer than ``last_notified`` is due, so a
    burst of uploads yields each window's event exactly once and in order, and a
    stale (smaller) progress value yields nothing.  The caller stores the last
    returned window as the session's new ``last_notified``.
    """
    step = _step(cadence_minutes)
    if last_analysed_seq is None or last_analysed_seq < 0:
        return []
    newest = inference_seq_num(last_analysed_seq + 1) - 1  # last complete window
    start = first_window if last_notified is None else max(first_window, last_notified + 1)
    # Align ``start`` up to the next firing window of this cadence.
    start += (-(start - first_window)) % step
    return list(range(start, newest + 1, step))


def night_windows(
    n_epochs: int, cadence_minutes: int, *, first_window: int = FIRST_WINDOW
) -> list[int]:
    """Every window that fires during a night of ``n_epochs`` analysed epochs."""
    return due_windows(n_epochs - 1, cadence_minutes, first_window=first_window)


# --------------------------------------------------------------------------- bodies


@dataclass(frozen=True, slots=True)
class SessionStages:
    """A session's stage arrays, one value per 30-s epoch (``Night.to_lists()``).

    ``breath`` is None without the breathing plan and ``osa`` (the v1/v2
    ``osa_stages``) None without the apnea feature: the matching callback field is
    then null, like the Data API field (§3.7.1, seed 000 §1.3.3).
    """

    sleep: Sequence[int]
    breath: Sequence[int] | None = None
    snoring: Sequence[int] | None = None
    osa: Sequence[int] | None = None


def _slice(values: Sequence[int] | None, start: int, stop: int, name: str) -> list[int] | None:
    if values is None:
        return None
    if len(values) < stop:
        raise ValueError(f"{name} has {len(values)} epochs; the window needs {stop}")
    # int(): numpy int8 values are not JSON serialisable.
    return [int(v) for v in values[start:stop]]


def inference_complete(
    version: Version,
    *,
    user_id: str,
    session_id: str,
    window: int,
    stages: SessionStages,
) -> dict[str, Any]:
    """The INFERENCE_COMPLETE body for analysis window ``window`` (= inference_seq_num).

    V3 (§4.6, KR table): ``event``/``version``/``data`` with the 10 values of the window
    in ``sleep_stages``, ``breath_stages`` and ``snoring_stages``.
    V2: ``callback_event``/``callback_version``/``callback_data`` with 40 values (the
    previous 20-minute frame, windows ``k-3 .. k``) in ``stage_list`` and ``breath_stages``.
    V1 (seed 000 §1.3.1): ``callback_event``/``callback_data`` (no version key) with 40
    values in ``stage_list`` and ``osa_stage_list``.
    A frame that would start before the session does is clipped at epoch 0 (only
    possible with a first window below 3).
    """
    if window < 0:
        raise ValueError("window must not be negative")
    seq_num = last_seq_of(window)
    stop = seq_num + 1
    head: dict[str, Any] = {
        "user_id": user_id,
        "session_id": session_id,
        "seq_num": seq_num,
        "inference_seq_num": window,
    }
    if version == "V3":
        start = stop - WINDOW_EPOCHS
        data = {
            **head,
            "sleep_stages": _slice(stages.sleep, start, stop, "sleep"),
            "breath_stages": _slice(stages.breath, start, stop, "breath"),
            "snoring_stages": _slice(stages.snoring, start, stop, "snoring"),
        }
        return {"event": INFERENCE_COMPLETE, "version": "V3", "data": data}
    start = max(0, stop - LEGACY_FRAME_WINDOWS * WINDOW_EPOCHS)
    stage_list = _slice(stages.sleep, start, stop, "sleep")
    if version == "V2":
        data = {
            **head,
            "stage_list": stage_list,
            "breath_stages": _slice(stages.breath, start, stop, "breath"),
        }
        return {
            "callback_event": INFERENCE_COMPLETE,
            "callback_version": "V2",
            "callback_data": data,
        }
    if version == "V1":
        data = {
            **head,
            "stage_list": stage_list,
            "osa_stage_list": _slice(stages.osa, start, stop, "osa"),
        }
        return {"callback_event": INFERENCE_COMPLETE, "callback_data": data}
    raise ValueError(f"unknown callback version {version!r}")


def with_user_id(result: Mapping[str, Any], user_id: str) -> dict[str, Any]:
    """A Get Session v3 ``result`` plus ``user_id``, placed where the doc example has it.

    The V3 SESSION_COMPLETE example (§4.6) shows ``user_id`` between
    ``missing_data_ratio`` and ``session``; JSON objects are unordered, but keeping
    the documented order makes diffs against the docs easy.
    """
    out: dict[str, Any] = {}
    for key, value in result.items():
        if key == "user_id":
            continue
        if key == "session":
            out["user_id"] = user_id
        out[key] = copy.deepcopy(value)
    out.setdefault("user_id", user_id)
    return out


def v1_sleep_data(v2_result: Mapping[str, Any]) -> dict[str, Any]:
    """Seed 000 §1.3.3's flat Sleep Data Object from a ``/data/v2`` Get Session result.

    Session fields first (``session_id``, ``state``, ``session_start_time``,
    ``session_end_time``, ``sleep_stages``, ``osa_stages``), then the v1.0 stat keys in
    documented order.  When the v2 ``stat`` is null (an INVALID session) every metric
    is null: seed 000 says "all nullable field values as null", and the emulator has
    no other source for the non-nullable durations (INFERRED).
    """
    session = v2_result.get("session") or {}
    stat = v2_result.get("stat") or {}
    out: dict[str, Any] = {
        "session_id": session.get("id"),
        "state": session.get("state"),
        "session_start_time": session.get("start_time"),
        "session_end_time": session.get("end_time"),
        "sleep_stages": copy.deepcopy(session.get("sleep_stages")),
        "osa_stages": copy.deepcopy(session.get("osa_stages")),
    }
    # Seed 000 §1.3.3 Sleep Data Object, after the session fields: the same keys, in the
    # same order, as the v1.0-era stat of /data/v2.
    out.update({key: stat.get(key) for key in documents.V2_STAT_KEYS})
    return out


def session_complete(
    version: Version,
    *,
    user_id: str,
    session_id: str,
    result: Mapping[str, Any],
) -> dict[str, Any]:
    """The SESSION_COMPLETE body, built from the Data API result rendered for the session.

    ``result`` must be the ``result`` object of the Get Session path in
    ``DATA_API_FOR_VERSION[version]``, rendered at the moment of completion, so the
    body equals what a GET returns then:

    * V3 (§4.6): ``data`` = the ``/data/v3`` result plus ``user_id``;
    * V2 (§4.6): ``callback_data`` = ``{user_id, session_id, sleep_data}`` with the
      ``/data/v3`` result as ``sleep_data`` (INFERRED, §1.6);
    * V1 (seed 000 §1.3.2-1.3.3): ``callback_data`` = ``{user_id, session_id,
      sleep_data}`` with the flat Sleep Data Object made from the ``/data/v2`` result.
    """
    if version == "V3":
        return {"event": SESSION_COMPLETE, "version": "V3", "data": with_user_id(result, user_id)}
    if version == "V2":
        data = {
            "user_id": user_id,
            "session_id": session_id,
            "sleep_data": copy.deepcopy(dict(result)),
        }
        return {"callback_event": SESSION_COMPLETE, "callback_version": "V2", "callback_data": data}
    if version == "V1":
        data = {"user_id": user_id, "session_id": session_id, "sleep_data": v1_sleep_data(result)}
        return {"callback_event": SESSION_COMPLETE, "callback_data": data}
    raise ValueError(f"unknown callback version {version!r}")


def night_callbacks(
    version: Version,
    *,
    user_id: str,
    session_id: str,
    cadence_minutes: int,
    stages: SessionStages,
    result: Mapping[str, Any],
    first_window: int = FIRST_WINDOW,
) -> list[tuple[Event, dict[str, Any]]]:
    """Every callback of a whole night, in delivery order: each firing window's
    INFERENCE_COMPLETE, then SESSION_COMPLETE (for the synthetic-night control call)."""
    windows = night_windows(len(stages.sleep), cadence_minutes, first_window=first_window)
    events: list[tuple[Event, dict[str, Any]]] = [
        (
            "INFERENCE_COMPLETE",
            inference_complete(
                version, user_id=user_id, session_id=session_id, window=k, stages=stages
            ),
        )
        for k in windows
    ]
    body = session_complete(version, user_id=user_id, session_id=session_id, result=result)
    events.append(("SESSION_COMPLETE", body))
    return events


# --------------------------------------------------------------------------- transport


def callback_headers(api_key: str, user_id: str) -> dict[str, str]:
    """Seed 000 §1.2: the API key that uploaded or ended the session, and its user."""
    return {"x-api-key": api_key, "x-user-id": user_id, "Content-Type": "application/json"}


def valid_callback_url(url: str) -> bool:
    """Whether ``url`` can be a callback URL: absolute http(s) with a host.

    The create call rejects others with 400 ``Invalid callback url`` (v1.0 wording
    ``Not valid callback_url``, §3.5); the exact rule is not documented (INFERRED).
    """
    if not url or len(url) > MAX_CALLBACK_URL_LENGTH or any(c.isspace() for c in url):
        return False
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError on a malformed port
    except ValueError:
        return False
    del port
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def resolve_version(requested: str | None, default: Version = "V3") -> Version:
    """The payload version of a session: the one asked for at create (``callback_version``,
    §3.5 INFERRED), else the API key's plan (``AsleepPlan.webhook_version``), else V3."""
    if requested is None or requested == "":
        return default
    candidate = requested.strip().upper()
    if candidate not in VERSIONS:
        raise ValueError(f"callback_version must be one of {', '.join(VERSIONS)}")
    return candidate
