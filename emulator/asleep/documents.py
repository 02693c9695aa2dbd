"""Asleep's response documents as pydantic models: the one declaration of each shape.

The stat objects and the value types are in ``stat_documents`` (re-exported here).

Imports pydantic, so nothing imports this module at start-up: ``stats``, the renderers
and the OpenAPI part reach it through ``lazy.module`` or inside functions. The renderers
still build plain dicts (fast, in documented key order); the key orders come from these
models (``STAT_KEYS`` is ``AsleepStat``'s field order), and the OpenAPI components are
generated from them (``openapi.components``). Sources:

* seed 001 (Get Single Session v3: the session and stat objects, their types and
  nullability), seed 000 (the v1.0 Sleep Data object: the ``/data/v2`` stat);
* asleep-api.md §1.3 envelopes, §3.2 users, §3.7.2 the v2 result, §3.8 the list,
  §3.9 average stats (partly INFERRED: the archived page stops after ``light_ratio``).

``AsleepStat`` is also the value ``stats.compute_stat`` returns (built with
``model_construct``: the computation is the validation); its clock fields hold aware
datetimes, rendered in the request's zone by ``stats.render_v3``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from emulator.asleep.bodies import AsleepMetadata, sourced
from emulator.asleep.peculiarities import Peculiarity, SessionState
from emulator.asleep.stat_documents import (
    AVERAGED_KEYS,
    RATIO_KEYS,
    SLEPT_SESSION_STAT_KEYS,
    STAT_KEYS,
    V2_STAT_KEYS,
    AsleepAverageStatsObject,
    AsleepSleptSession,
    AsleepStat,
    AsleepStatV2,
    BinaryStages,
    Count,
    Document,
    OffsetTime,
    Ratio,
    Seconds,
    SleepStages,
    UtcTime,
)

# --------------------------------------------------------------------------- sessions


class AsleepSession(Document):
    """The session object of a v3 read."""

    model_config = sourced("seed 001 §2.1.2", extra="forbid", frozen=True)

    id: str
    state: SessionState
    start_time: OffsetTime
    end_time: OffsetTime | None
    unexpected_end_time: OffsetTime | None
    created_timezone: str
    sleep_stages: SleepStages | None
    breath_stages: BinaryStages | None
    snoring_stages: BinaryStages | None


class AsleepSessionResult(Document):
    """Get Single Session (v3) ``result``."""

    model_config = sourced("seed 001 §2.1.1", extra="forbid", frozen=True)

    timezone: str
    peculiarities: list[Peculiarity]
    missing_data_ratio: Ratio
    session: AsleepSession
    stat: AsleepStat | None


class AsleepSessionV2(Document):
    """The session object of a legacy /data/v2 read."""

    model_config = sourced("asleep-api.md §3.7.2 (v1.0 docs)", extra="forbid", frozen=True)

    id: str
    state: SessionState
    start_time: OffsetTime
    end_time: OffsetTime | None
    sleep_stages: SleepStages | None
    osa_stages: (
        Annotated[
            list[Annotated[int, Field(ge=-1, le=2)]],
            Field(description="-1 no data, 0 no event, 1 apnea, 2 hypopnea"),
        ]
        | None
    )


class AsleepSessionResultV2(Document):
    """Legacy Get Single Session (/data/v2) ``result``."""

    model_config = sourced("asleep-api.md §3.7.2 (v1.0 docs)", extra="forbid", frozen=True)

    timezone: str
    validity: Annotated[
        str,
        Field(
            pattern=r"^(IN_PROGRESS|VALID|INVALID:[A-Z_]+)$",
            description="IN_PROGRESS, VALID or INVALID:<reason> "
            "(TOO_MANY_DEFECTS_IN_SLEEP_STAGES, TOO_MANY_DEFECTS_IN_OSA_STAGES)",
        ),
    ]
    session: AsleepSessionV2
    stat: AsleepStatV2 | None  # type: ignore[valid-type]


class AsleepListItem(Document):
    """One ``sleep_session_list`` element."""

    model_config = sourced("asleep-api.md §3.8", extra="forbid", frozen=True)

    session_id: str
    state: SessionState
    session_start_time: OffsetTime
    session_end_time: OffsetTime | None
    created_timezone: str
    unexpected_end_time: OffsetTime | None
    last_received_seq_num: Count | None
    time_in_bed: Seconds


class AsleepSessionList(Document):
    """List Sessions ``result``."""

    model_config = sourced("asleep-api.md §3.8", extra="forbid", frozen=True)

    timezone: str
    sleep_session_list: list[AsleepListItem]


class AsleepNeverSleptSession(Document):
    """A session of the period without any sleep."""

    model_config = sourced(
        "SDK AsleepNeverSleptSession (asleep-api.md §3.9)", extra="forbid", frozen=True
    )

    id: str
    start_time: OffsetTime
    end_time: OffsetTime
    completed_time: OffsetTime


class AsleepPeriod(Document):
    """The period averaged over."""

    timezone: str
    start_date: Annotated[str, Field(json_schema_extra={"format": "date"})]
    end_date: Annotated[str, Field(json_schema_extra={"format": "date"})]


class AsleepAverageStats(Document):
    """Average Stats ``result``."""

    model_config = sourced("asleep-api.md §3.9", extra="forbid", frozen=True)

    period: AsleepPeriod
    # Only NO_BREATHING_STABILITY is documented for this endpoint.
    peculiarities: list[Literal[Peculiarity.NO_BREATHING_STABILITY]]
    average_stats: AsleepAverageStatsObject | None  # type: ignore[valid-type]
    never_slept_sessions: list[AsleepNeverSleptSession]
    slept_sessions: list[AsleepSleptSession]  # type: ignore[valid-type]


# --------------------------------------------------------------------------- users, errors


class AsleepLastSessionInfo(Document):
    """The user's latest session, times in UTC."""

    model_config = sourced("asleep-api.md §3.2", extra="forbid", frozen=True)

    session_id: str
    inference_type: Annotated[str, Field(description="e.g. MELSPECTROGRAM")]
    service: Annotated[str, Field(description="e.g. NOSERVICE")]
    start_time: UtcTime
    end_time: UtcTime | None
    state: SessionState
    complete_time: UtcTime | None


class AsleepUser(Document):
    """Get User ``result``."""

    model_config = sourced("asleep-api.md §3.2", extra="forbid", frozen=True)

    user_id: str
    to_be_deleted: bool
    last_session_info: AsleepLastSessionInfo | None
    metadata: AsleepMetadata | None


class AsleepError(Document):
    """Every Asleep error: {"detail": "<text>"}."""

    model_config = sourced("asleep-api.md §1.3; seed 001 §2.2-§2.3", extra="forbid", frozen=True)

    detail: str


class AsleepValidationProblem(Document):
    """One item of FastAPI's request-validation list (pydantic v2, without ``url``)."""

    model_config = sourced(
        "INFERRED: FastAPI/pydantic-v2 request-validation item (asleep-api.md §1.4)",
        extra="forbid",
        frozen=True,
    )

    type: str
    loc: Annotated[list[str | int], Field(min_length=1)]
    msg: str
    input: Any
    ctx: dict[str, Any] = Field(default_factory=dict)


class AsleepValidationError(Document):
    """FastAPI's 422 body."""

    model_config = sourced(
        "INFERRED: FastAPI's 422 body where Asleep documents no text (asleep-api.md §1.4)",
        extra="forbid",
        frozen=True,
    )

    detail: Annotated[list[AsleepValidationProblem], Field(min_length=1)]


__all__ = [
    "AVERAGED_KEYS",
    "RATIO_KEYS",
    "SLEPT_SESSION_STAT_KEYS",
    "STAT_KEYS",
    "V2_STAT_KEYS",
    "AsleepAverageStats",
    "AsleepAverageStatsObject",
    "AsleepError",
    "AsleepSessionList",
    "AsleepSessionResult",
    "AsleepSessionResultV2",
    "AsleepSleptSession",
    "AsleepStat",
    "AsleepStatV2",
    "AsleepUser",
    "AsleepValidationError",
]
