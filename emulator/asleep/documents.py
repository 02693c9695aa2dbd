"""Asleep's response documents as pydantic models: the one declaration of each shape.

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

from datetime import datetime
from typing import Annotated, Any, Final, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, create_model
from pydantic.fields import FieldInfo

from emulator.asleep.bodies import AsleepMetadata, sourced
from emulator.asleep.peculiarities import Peculiarity, SessionState
from emulator.asleep.stats import BreathingPattern, LegacyBreathingPattern
from emulator.asleep.vocab import SLEEP_INDEX
from emulator.core.openapi import OFFSET_TIME_PATTERN


class Document(BaseModel):
    """Base of every response object: exactly the declared keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- value types

_OFFSET_TIME: Final = {"type": "string", "pattern": OFFSET_TIME_PATTERN}
Moment = Annotated[datetime, WithJsonSchema(_OFFSET_TIME)]
"""An aware datetime on the wire as ``YYYY-MM-DDThh:mm:ss+hh:mm`` (seed 001 §2.1.2)."""
OffsetTime = Annotated[str, Field(pattern=OFFSET_TIME_PATTERN)]
UtcTime = Annotated[
    str,
    Field(
        pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z?$",
        description="UTC; the table says YYYY-MM-DDThh:mm:ssZ, the example has no offset",
    ),
]
Seconds = Annotated[int, Field(ge=0, description="seconds")]
Count = Annotated[int, Field(ge=0)]
_RATIO_TEXT: Final = "0..1"
Ratio = Annotated[float, Field(ge=0, le=1, description=_RATIO_TEXT)]
Clock = Annotated[str, Field(pattern=r"^\d{2}:\d{2}:\d{2}$", description="hh:mm:ss")]
SleepStages = Annotated[
    list[Annotated[int, Field(ge=-1, le=3)]],
    Field(description="-1 no data, 0 wake, 1 light, 2 deep, 3 REM"),
]
BinaryStages = Annotated[
    list[Annotated[int, Field(ge=-1, le=1)]], Field(description="-1 no data, 0 no, 1 yes")
]


# --------------------------------------------------------------------------- the stat


class AsleepStat(Document):
    """Per-session statistics (null rules: seed 001 §2.1.6)."""

    model_config = sourced(
        "seed 001 §2.1.6; the last four keys from the SDK models (asleep-api.md §3.7.1)",
        extra="forbid",
        frozen=True,
    )

    sleep_time: Moment | None
    wake_time: Moment | None
    sleep_index: Annotated[int, Field(ge=SLEEP_INDEX[0], le=SLEEP_INDEX[1])] | None
    sleep_latency: Seconds | None
    wakeup_latency: Seconds | None
    light_latency: Seconds | None
    deep_latency: Seconds | None
    rem_latency: Seconds | None
    time_in_bed: Seconds
    time_in_sleep_period: Seconds
    time_in_sleep: Seconds
    time_in_wake: Seconds
    time_in_light: Seconds | None
    time_in_deep: Seconds | None
    time_in_rem: Seconds | None
    time_in_stable_breath: Seconds | None
    time_in_unstable_breath: Seconds | None
    time_in_snoring: Seconds | None
    time_in_no_snoring: Seconds | None
    sleep_efficiency: Ratio
    sleep_ratio: Ratio | None
    wake_ratio: Ratio | None
    light_ratio: Ratio | None
    deep_ratio: Ratio | None
    rem_ratio: Ratio | None
    stable_breath_ratio: Ratio | None
    unstable_breath_ratio: Ratio | None
    snoring_ratio: Ratio | None
    no_snoring_ratio: Ratio | None
    # The table says "0~1 range" but its own example is 64.83: not bounded above.
    breathing_index: Annotated[float, Field(ge=0)] | None
    breathing_pattern: BreathingPattern | None
    waso_count: Count | None
    longest_waso: Seconds | None
    sleep_cycle_count: Count | None
    sleep_cycle: Seconds | None
    sleep_cycle_time: tuple[Moment, ...]
    unstable_breath_count: Count | None
    snoring_count: Count | None

    @property
    def never_slept(self) -> bool:
        """True when the analysis found no sleep (``time_in_sleep`` is 0)."""
        return self.time_in_sleep == 0


STAT_KEYS: Final = tuple(AsleepStat.model_fields)
"""v3 ``stat`` keys in documented order (seed 001 §2.1.6 table and JSON example)."""


def _is_ratio(info: FieldInfo) -> bool:
    """Declared ``Ratio`` (or ``Ratio | None``): its description is the marker."""
    if info.description == _RATIO_TEXT:
        return True
    options = get_args(info.annotation)
    return any(
        getattr(extra, "description", None) == _RATIO_TEXT
        for option in options
        for extra in get_args(option)[1:]
    )


RATIO_KEYS: Final = frozenset(
    key for key, info in AsleepStat.model_fields.items() if _is_ratio(info)
)

# v1.0-era stat keys in the order of the v1.0 Sleep Data Object table (seed 000 §1.3.3,
# minus its session fields); the same set as asleep-api.md §3.7.2.
V2_STAT_KEYS: Final = (
    "sleep_efficiency", "sleep_latency", "sleep_time", "wakeup_latency", "wake_time",
    "time_in_wake", "time_in_sleep_period", "time_in_sleep", "time_in_bed", "time_in_rem",
    "time_in_light", "time_in_deep", "time_in_stable_breath", "time_in_unstable_breath",
    "wake_ratio", "sleep_ratio", "rem_ratio", "light_ratio", "deep_ratio",
    "stable_breath_ratio", "unstable_breath_ratio", "breathing_pattern", "estimated_ahi",
)  # fmt: skip

# Averaged keys, in the order of the documented example up to light_ratio; the rest
# (INFERRED) mirror the per-session stat in its own order. The 23.11.09 changelog
# confirms time_in_sleep_period, breathing_index, longest_waso and sleep_cycle_count.
# sleep_index is included although Asleep's insight skill says "No month avg for sleep
# score" -- a product comment, not an API statement.
AVERAGED_KEYS: Final = (
    "sleep_latency", "wakeup_latency", "time_in_bed", "time_in_sleep_period",
    "time_in_sleep", "time_in_wake", "time_in_light", "time_in_deep", "time_in_rem",
    "time_in_stable_breath", "time_in_unstable_breath", "time_in_snoring",
    "time_in_no_snoring", "sleep_efficiency", "wake_ratio", "sleep_ratio", "light_ratio",
    "deep_ratio", "rem_ratio", "stable_breath_ratio", "unstable_breath_ratio",
    "snoring_ratio", "no_snoring_ratio", "breathing_index", "breathing_pattern",
    "light_latency", "deep_latency", "rem_latency", "waso_count", "longest_waso",
    "sleep_cycle_count", "sleep_cycle", "unstable_breath_count", "snoring_count",
    "sleep_index",
)  # fmt: skip

# A slept session's stat keys in the order of the SDK's SleptSession model
# (asleep-sdk-react-native src/Asleep.types.ts), plus sleep_index (INFERRED from
# Asleep's insight.py, which reads it from slept_sessions).
SLEPT_SESSION_STAT_KEYS: Final = (
    "sleep_efficiency", "sleep_latency", "wakeup_latency", "light_latency", "deep_latency",
    "rem_latency", "sleep_time", "wake_time", "time_in_wake", "time_in_sleep_period",
    "time_in_sleep", "time_in_bed", "time_in_rem", "time_in_light", "time_in_deep",
    "time_in_stable_breath", "time_in_unstable_breath", "time_in_snoring",
    "time_in_no_snoring", "wake_ratio", "sleep_ratio", "rem_ratio", "light_ratio",
    "deep_ratio", "stable_breath_ratio", "unstable_breath_ratio", "snoring_ratio",
    "no_snoring_ratio", "unstable_breath_count", "breathing_pattern", "breathing_index",
    "sleep_cycle", "sleep_cycle_count", "waso_count", "longest_waso", "snoring_count",
    "sleep_index",
)  # fmt: skip


def _stat_field(key: str, *, nullable: bool = False) -> tuple[Any, FieldInfo]:
    """``AsleepStat``'s declaration of ``key``, optionally made nullable."""
    info = AsleepStat.model_fields[key]
    annotation: Any = info.annotation
    if info.metadata:
        annotation = Annotated[(annotation, *info.metadata)]
    if nullable:
        annotation = annotation | None
    return annotation, Field(description=info.description)


def _picked(name: str, doc: str, source: str, fields: dict[str, tuple[Any, Any]]) -> type[Document]:
    config = sourced(source, extra="forbid", frozen=True)
    model: type[Document] = create_model(  # type: ignore[call-overload]
        name, __config__=config, __doc__=doc, __base__=None, **fields
    )
    return model


AsleepStatV2: Final = _picked(
    "AsleepStatV2",
    "The v1.0-era stat of /data/v2 (estimated_ahi: the AHI-like breathing_index).",
    "seed 000 §1.3.3 (v1.0 Sleep Data object)",
    {
        **{key: _stat_field(key) for key in V2_STAT_KEYS[:-2]},
        "breathing_pattern": (LegacyBreathingPattern | None, Field()),
        # Typed "0~1 range" like breathing_index, which replaced it; an AHI is not a ratio.
        "estimated_ahi": (Annotated[float, Field(ge=0)] | None, Field()),
    },
)
AsleepAverageStatsObject: Final = _picked(
    "AsleepAverageStatsObject",
    "Averages over slept_sessions; clock times hh:mm:ss in the request timezone.",
    "asleep-api.md §3.9 example up to light_ratio and the 23.11.09 changelog; "
    "the other keys INFERRED (they mirror the per-session stat)",
    {
        "start_time": (Clock, Field()),
        "end_time": (Clock, Field()),
        "sleep_time": (Clock | None, Field()),
        "wake_time": (Clock | None, Field()),
        **{key: _stat_field(key, nullable=True) for key in AVERAGED_KEYS},
    },
)
AsleepSleptSession: Final = _picked(
    "AsleepSleptSession",
    "One session the averages are over.",
    "SDK SleptSession model (asleep-sdk-react-native Asleep.types.ts, asleep-api.md §3.9); "
    "sleep_index INFERRED from Asleep's insight.py",
    {
        "id": (str, Field()),
        "created_timezone": (str, Field()),
        "start_time": (OffsetTime, Field()),
        "end_time": (OffsetTime, Field()),
        "completed_time": (OffsetTime, Field()),
        **{key: _stat_field(key) for key in SLEPT_SESSION_STAT_KEYS},
    },
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
