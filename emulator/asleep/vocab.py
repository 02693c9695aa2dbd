"""Asleep's vocabulary: the enumerations, ranges and limits of its wire format, once.

Cheap to import (no pydantic): the request and response models (``bodies``,
``documents``), the OpenAPI part and the emulator's own logic all read these names, so
each fact is written here and nowhere else. The enumerations that the logic switches
on are ``StrEnum`` classes beside that logic (``peculiarities.SessionState``,
``peculiarities.Peculiarity``, ``stats.BreathingPattern``); the models use them as is.
"""

from __future__ import annotations

from typing import Final, Literal

from emulator.asleep.settings import WEBHOOK_VERSIONS, WebhookVersion

__all__ = [
    "BIRTH_DAY",
    "BIRTH_MONTH",
    "BIRTH_YEAR_MIN",
    "DEFAULT_INFERENCE_TYPE",
    "DEFAULT_LIST_LIMIT",
    "DEFAULT_SERVICE",
    "HEIGHT_MAX_CM",
    "MAX_LIST_LIMIT",
    "MAX_PERIOD_DAYS",
    "MAX_SEQ_NUM",
    "SERVICE_MAX_LENGTH",
    "SLEEP_INDEX",
    "WEBHOOK_VERSIONS",
    "WEIGHT_MAX_KG",
    "Gender",
    "InferenceType",
    "OrderBy",
    "WebhookVersion",
]

# --------------------------------------------------------------------------- users (§3.1)

Gender = Literal["male", "female", "non_binary", "other", "prefer_not_to_say"]

# asleep-api.md §3.1 constraints; the upper bound of birth_year is the current year
# (the emulator's virtual clock), so it is not a constant.
BIRTH_YEAR_MIN: Final = 1900
BIRTH_MONTH: Final = (1, 12)
BIRTH_DAY: Final = (1, 31)
HEIGHT_MAX_CM: Final = 300
WEIGHT_MAX_KG: Final = 1000

# --------------------------------------------------------------------------- sessions (§3.5)

InferenceType = Literal["MELSPECTROGRAM", "AUDIO"]
DEFAULT_INFERENCE_TYPE: Final[InferenceType] = "MELSPECTROGRAM"
DEFAULT_SERVICE: Final = "NOSERVICE"
SERVICE_MAX_LENGTH: Final = 200  # INFERRED: a bound, so a service name cannot grow unbounded
MAX_SEQ_NUM: Final = 10_000_000  # INFERRED: far past the 24-hour cap (2,880 chunks)

# --------------------------------------------------------------------------- Data API (§3.8-§3.9)

OrderBy = Literal["ASC", "DESC"]
DEFAULT_LIST_LIMIT: Final = 20
MAX_LIST_LIMIT: Final = 100
MAX_PERIOD_DAYS: Final = 100
"""Average stats: "The period should be less than or equal to 100 days" (§3.9)."""

SLEEP_INDEX: Final = (50, 100)
"""(Beta) ``sleep_index`` range (seed 001 §2.1.6)."""
