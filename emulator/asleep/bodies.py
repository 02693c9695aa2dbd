"""Asleep's request bodies and query strings as pydantic models, validated as FastAPI does.

Asleep's server is FastAPI-like (asleep-api.md §1.3-§1.4, INFERRED), so where Asleep
documents no error text of its own (user metadata, list and average-stats queries) a
bad request is FastAPI's 422 ``{"detail": [{"type", "loc", "msg", "input", "ctx"?}]}``:
pydantic validates the same models FastAPI would, and ``json_body`` / ``query`` add
FastAPI's part (reading the body, the ``body``/``query`` prefix of ``loc``, ``input:
null`` for a missing parameter, ``jsonable_encoder``'s rendering of ``ctx``). Which
FastAPI: docs/decisions.md (no ``url`` key; a body without Content-Type read as JSON).

Where Asleep documents its own text (create, upload, close: the v1.0 error table, §3.5)
the same models validate and ``documented`` maps the first problem to that text.

Imports pydantic: routes reach this module lazily (``lazy.module``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from starlette.datastructures import UploadFile

from emulator.asleep import timefmt
from emulator.asleep.callbacks import resolve_version, valid_callback_url
from emulator.asleep.vocab import (
    BIRTH_DAY,
    BIRTH_MONTH,
    BIRTH_YEAR_MIN,
    DEFAULT_INFERENCE_TYPE,
    DEFAULT_LIST_LIMIT,
    DEFAULT_SERVICE,
    HEIGHT_MAX_CM,
    MAX_LIST_LIMIT,
    MAX_SEQ_NUM,
    SERVICE_MAX_LENGTH,
    WEIGHT_MAX_KG,
    Gender,
    InferenceType,
    OrderBy,
    WebhookVersion,
)
from emulator.core.openapi import SOURCE_KEY

Model = TypeVar("Model", bound=BaseModel)
Problem = dict[str, Any]


def sourced(text: str, **config: Any) -> ConfigDict:
    """A model config noting where the shape comes from (``x-emulator-source``)."""
    out = ConfigDict(json_schema_extra={SOURCE_KEY: text})
    out.update(config)  # type: ignore[typeddict-item]
    return out


# --------------------------------------------------------------------------- users (§3.1-§3.3)


class AsleepMetadata(BaseModel):
    """User metadata: every documented key, null when unset; unknown keys are dropped."""

    model_config = sourced(
        "asleep-api.md §3.1 (constraints), §3.2", json_schema_serialization_defaults_required=True
    )

    birth_year: int | None = Field(
        None, ge=BIRTH_YEAR_MIN, description=f"{BIRTH_YEAR_MIN} .. the current year"
    )
    birth_month: int | None = Field(None, ge=BIRTH_MONTH[0], le=BIRTH_MONTH[1])
    birth_day: int | None = Field(
        None,
        ge=BIRTH_DAY[0],
        le=BIRTH_DAY[1],
        description=f"{BIRTH_DAY[0]}..{BIRTH_DAY[1]}; must exist in birth_month of birth_year",
    )
    gender: Gender | None = None
    height: float | None = Field(
        None, ge=0, le=HEIGHT_MAX_CM, description="cm, at most one decimal place"
    )
    weight: float | None = Field(
        None, ge=0, le=WEIGHT_MAX_KG, description="kg, at most one decimal place"
    )

    @field_validator("birth_year")
    @classmethod
    def _not_after_this_year(cls, year: int | None, info: ValidationInfo) -> int | None:
        # The current year is the virtual clock's (the caller's context); INFERRED bound.
        this_year = (info.context or {}).get("this_year", date.today().year)
        if year is not None and year > this_year:
            raise PydanticCustomError(
                "less_than_equal", "Input should be less than or equal to {le}", {"le": this_year}
            )
        return year

    @field_validator("height", "weight")
    @classmethod
    def _one_decimal(cls, value: float | None, info: ValidationInfo) -> float | None:
        if value is not None:
            exponent = Decimal(repr(value)).as_tuple().exponent
            if isinstance(exponent, int) and exponent < -1:
                raise ValueError(f"{info.field_name} must have at most one decimal place")
        return value

    @model_validator(mode="after")
    def _birth_date_exists(self) -> AsleepMetadata:
        year, month, day = self.birth_year, self.birth_month, self.birth_day
        if year is not None and month is not None and day is not None:
            try:
                date(year, month, day)
            except ValueError:
                raise ValueError(
                    "birth_day is not a valid day of birth_month in birth_year"
                ) from None
        return self


class AsleepUserCreate(BaseModel):
    """Create User body (optional as a whole)."""

    model_config = sourced("asleep-api.md §3.1")

    metadata: AsleepMetadata | None = None


class AsleepUserUpdate(BaseModel):
    """Update User body: the new metadata (full replacement), or null."""

    model_config = sourced("asleep-api.md §3.3")

    metadata: AsleepMetadata | None


# --------------------------------------------------------------------------- Data API queries


class AsleepListQuery(BaseModel):
    """List Sessions query parameters."""

    model_config = sourced("asleep-api.md §3.8")

    date_gte: date | None = Field(None, description="Start date (request zone) >= this")
    date_lte: date | None = Field(None, description="Start date (request zone) <= this")
    order_by: OrderBy = Field("DESC", description="By start time")
    offset: int = Field(0, ge=0, description="Sessions to skip")
    limit: int = Field(DEFAULT_LIST_LIMIT, ge=0, le=MAX_LIST_LIMIT, description="Page size")


class AsleepPeriodQuery(BaseModel):
    """Average Stats query parameters."""

    model_config = sourced("asleep-api.md §3.9")

    start_date: date = Field(description="First day")
    end_date: date = Field(description="Last day (inclusive)")
    timezone: str | None = Field(
        None, description="As the header (Asleep's consumer script sends it here; INFERRED)"
    )


# --------------------------------------------------------------------------- Session API (§3.5)


def _instant(value: Any) -> Any:
    # start_time: only an absent field means "now"; an empty one is no instant (422
    # ``Invalid session start time``, as the parser before the pydantic models had it).
    if value is None:
        return None
    parsed = timefmt.parse_instant(value) if isinstance(value, str) else None
    if parsed is None:
        raise ValueError("not YYYY-MM-DDTHH:mm:ssZ")
    return parsed


def _end_instant(value: Any) -> Any:
    # end_time: an empty field is absent (the end of the audio), as before the models.
    return None if value == "" else _instant(value)


def _callback_url(value: Any) -> Any:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not valid_callback_url(value):
        raise ValueError("not an absolute http(s) URL")
    return value


def _callback_version(value: Any) -> Any:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError("not a callback version")
    return resolve_version(value)


def _seq_num(value: Any) -> Any:
    # ASCII digits only, and few enough for int(): "²".isdigit() is true but int() refuses
    # it, and a 5,000-digit string is past int()'s limit (both were 500s).
    text = value.strip() if isinstance(value, str) else None
    if text is not None and text.isascii() and text.isdigit() and len(text) <= 18:
        return int(text)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ValueError("not a chunk number")


def _flag(value: Any) -> bool:
    """The close ``unexpected`` marker: 1/true/yes (seed 001: "unexpected parameter set to 1")."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value == 1
    return isinstance(value, str) and value.strip().lower() in ("1", "true", "yes")


def _upload_file(value: Any) -> Any:
    if not isinstance(value, UploadFile):
        raise ValueError("not a file part")
    return value


_INSTANT_TEXT = {"type": "string", "description": "YYYY-MM-DDTHH:mm:ssZ"}
Instant = Annotated[int | None, BeforeValidator(_instant), WithJsonSchema(_INSTANT_TEXT)]
CallbackUrl = Annotated[
    str | None,
    BeforeValidator(_callback_url),
    WithJsonSchema({"type": "string", "description": "absolute http(s) URL for webhooks"}),
]
_FIELDS_SOURCE = "INFERRED path and fields (asleep-api.md §3.5)"


class AsleepCreateSession(BaseModel):
    """Create Session fields (JSON or form); every one is optional."""

    model_config = sourced(_FIELDS_SOURCE)

    start_time: Instant = None
    callback_url: CallbackUrl = None
    callback_version: Annotated[
        WebhookVersion | None,
        BeforeValidator(_callback_version),
        Field(description="webhook format (case-insensitive); default: the plan's"),
    ] = None
    service: Annotated[
        str,
        BeforeValidator(lambda v: DEFAULT_SERVICE if v is None or v == "" else v),
        Field(
            max_length=SERVICE_MAX_LENGTH,
            description="`emulator:<profile>` picks the night's profile (emulator)",
        ),
    ] = DEFAULT_SERVICE
    inference_type: Annotated[
        InferenceType, BeforeValidator(lambda v: v or DEFAULT_INFERENCE_TYPE)
    ] = DEFAULT_INFERENCE_TYPE
    timezone: str | None = Field(None, description="IANA zone; the `timezone` header wins")


class AsleepCloseSession(BaseModel):
    """Close Session fields (JSON, form or query); every one is optional."""

    model_config = sourced(_FIELDS_SOURCE)

    end_time: Annotated[
        int | None,
        BeforeValidator(_end_instant),
        WithJsonSchema(
            {"type": "string", "description": "YYYY-MM-DDTHH:mm:ssZ, after start_time; "
             "default: the end of the audio"}
        ),
    ] = None  # fmt: skip
    unexpected: Annotated[
        bool,
        BeforeValidator(_flag),
        WithJsonSchema(
            {
                "type": ["integer", "boolean", "string"],
                "description": "1 marks an unexpected end (seed 001 §2.1.2)",
            }
        ),
    ] = False
    callback_url: CallbackUrl = None


class AsleepUpload(BaseModel):
    """Upload form: one 30-second chunk."""

    model_config = sourced(_FIELDS_SOURCE, arbitrary_types_allowed=True)

    file: Annotated[
        Any,
        BeforeValidator(_upload_file),
        WithJsonSchema(
            {
                "type": "string",
                "contentMediaType": "application/octet-stream",
                "description": "MELSPECTROGRAM: a 2-D .npy; AUDIO: 30 s mp3/wav at "
                "16/44.1/48 kHz under 10 MB",
            }
        ),
    ]
    seq_num: Annotated[
        int,
        BeforeValidator(_seq_num),
        Field(ge=0, le=MAX_SEQ_NUM, description="0-based chunk number"),
    ]
    callback_url: CallbackUrl = None
