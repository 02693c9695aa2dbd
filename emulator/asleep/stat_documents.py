"""Asleep's stat objects as pydantic models: the v3 stat, the v2 stat, the averages.

``AsleepStat`` declares the v3 stat once (seed 001 §2.1.6: keys in documented order,
types, nullability, ranges); it is also the value ``stats.compute_stat`` returns. The
other stat-like objects are documented *orders* of the same keys (the v1.0 stat, the
averages, a slept session): each order is declared here once and its model takes each
key's declaration from ``AsleepStat``. Also the value types every Asleep document uses.
Imports pydantic: reached lazily (``documents``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final, get_args

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, create_model
from pydantic.fields import FieldInfo

from emulator.asleep.bodies import sourced
from emulator.asleep.stats import BreathingPattern, LegacyBreathingPattern
from emulator.asleep.vocab import SLEEP_INDEX


class Document(BaseModel):
    """Base of every response object: exactly the declared keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- value types

# Data API timestamps: "YYYY-MM-DDThh:mm:ss+-hh:mm" in the request zone, never "Z"
# (seed 001 §2.1.2 field types; asleep-api.md §1.5).
OFFSET_TIME_PATTERN: Final = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$"
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
Clock = Annotated[
    str, Field(pattern=r"^\d{2}:\d{2}:\d{2}$", description="hh:mm:ss in the request timezone")
]
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
    sleep_index: (
        Annotated[int, Field(ge=SLEEP_INDEX[0], le=SLEEP_INDEX[1], description="(Beta) 50..100")]
        | None
    )
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
    "Averages over slept_sessions; clock times hh:mm:ss.",
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
