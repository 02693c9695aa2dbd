"""Configuration: one frozen ``Settings`` value, read once from flags and environment.

Every field has an environment twin (uvicorn's discipline): top-level fields are
``EMULATOR_<FIELD>`` (``EMULATOR_PORT``), section fields are
``EMULATOR_<SECTION>_<FIELD>`` (``EMULATOR_KINTSUGI_MIN_VOICE_SECONDS``). The same
dotted names (``kintsugi.min_voice_seconds``) work with ``--set`` on the command line.
Only ``app`` and ``cli`` read settings; everything below them gets plain values.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal, get_args, get_origin

Progression = Literal["immediate", "polls", "seconds", "manual"]


@dataclass(frozen=True, slots=True)
class KintsugiSettings:
    """Kintsugi Voice policy. Defaults match the vendor's audio specification (seed 002)."""

    min_sample_rate: int = 8000
    max_channels: int = 1
    min_voice_seconds: float = 30.0
    # No documented cap; large enough for a 10-minute 48 kHz 32-bit stereo recording.
    max_body_bytes: int = 128 * 1024 * 1024
    # v2 predictions: `processing` until the first poll has seen it (research §6.6).
    progression: Progression = "polls"
    progression_polls: int = 1
    progression_seconds: float = 5.0
    # v1 predict success status: the seed's example response is 201 (its table also
    # shows a 200 row); docs/decisions.md (Kintsugi Voice) explains the choice.
    v1_predict_status: int = 201
    # v2 audio that fails the guardrails: "record" = 202, then a `failed` record with
    # `predict_error`; "reject" = 422 {"message": code} at submit (research §4.2, §4.4).
    v2_audio_failure: Literal["record", "reject"] = "record"
    # HTTP status of GET /v2/predict/sessions/{id} for a failed record (417 mimics the
    # third-party hint in research §4.4).
    failed_record_status: int = 200
    # Predicting on an is_initiated=false session: 404 nonexistent_initiation ("a
    # session is not created", seed 002) or 406 consent_not_provided (3rd-party hint).
    no_consent_error: Literal["nonexistent_initiation", "consent_not_provided"] = (
        "nonexistent_initiation"
    )


@dataclass(frozen=True, slots=True)
class AsleepSettings:
    """Asleep policy. Numbers come from asleep-api.md; each INFERRED one is noted there."""

    # 413 `HTTP length exceeded 16777216 bytes` (asleep-api.md §2.4, v1.0 error table).
    max_body_bytes: int = 16_777_216
    chunk_seconds: float = 30.0
    chunk_tolerance_seconds: float = 1.0
    chunk_max_bytes: int = 10 * 1024 * 1024
    allowed_rates: tuple[int, ...] = (16000, 44100, 48000)
    # "terminate": a new session ends the user's open one (current behaviour);
    # "conflict": 409 `Previous sleep session not yet closed` (v1.0 docs). §2.1, §9.7.
    open_session_policy: Literal["terminate", "conflict"] = "terminate"
    min_analysis_seconds: int = 1200
    max_session_seconds: int = 86400
    defect_threshold: float = 0.3
    progression: Progression = "immediate"
    progression_polls: int = 1
    progression_seconds: float = 60.0


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """Outgoing callback delivery (Asleep webhooks). Retries are not documented by the
    vendor (asleep-api.md §4.6); the schedule below is the emulator's (docs/webhooks.md,
    Delivery)."""

    timeout_seconds: float = 5.0
    max_attempts: int = 5
    backoff_base_seconds: float = 0.5
    backoff_max_seconds: float = 30.0
    version: Literal["V1", "V2", "V3"] = "V3"
    cadence_minutes: int = 5
    # Each retry waits up to this share longer than its exponential step (seeded jitter).
    jitter_ratio: float = 0.1
    # HTTP calls in flight at once, over all sessions (one per session at a time).
    concurrency: int = 16
    # Deliveries kept in the log (GET /_emulator/callbacks); the oldest finished go first.
    log_size: int = 10_000
    # On shutdown, pending deliveries get this long to finish before being abandoned.
    shutdown_grace_seconds: float = 5.0


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the emulator can be told at start-up."""

    host: str = "127.0.0.1"
    port: int = 8080
    seed: int = 0
    log_level: str = "info"
    journal_size: int = 1000
    config: str | None = None
    state_file: str | None = None
    demo: bool = False
    # ISO 8601 instant the virtual clock starts at; empty means the wall clock.
    clock_start: str | None = None
    clock_frozen: bool = False
    # Written with the bound address once listening, so `vendor-emulator health` can find us.
    address_file: str | None = None
    # Check every vendor and control response against /_emulator/openapi.json and log
    # violations on logger `emulator.control.contract` (test suites turn it on).
    validate_responses: bool = False
    # A request whose body stops arriving for this long gets a 408 in the vendor's shape
    # (emulator.core.limits), so a stalled client does not hold its request forever.
    body_timeout_seconds: float = 30.0
    kintsugi: KintsugiSettings = field(default_factory=KintsugiSettings)
    asleep: AsleepSettings = field(default_factory=AsleepSettings)
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)

    @classmethod
    def from_env(cls, environ: Mapping[str, str], **overrides: Any) -> Settings:
        """Build settings from ``EMULATOR_*`` variables, then apply explicit overrides."""
        values: dict[str, Any] = {}
        for name, section in _sections().items():
            prefix = f"EMULATOR_{name.upper()}_"
            sub = {
                f.name: _coerce(f, environ[prefix + f.name.upper()])
                for f in fields(section)
                if prefix + f.name.upper() in environ
            }
            if sub:
                values[name] = section(**sub)
        for f in fields(cls):
            key = f"EMULATOR_{f.name.upper()}"
            if f.name not in _sections() and key in environ:
                values[f.name] = _coerce(f, environ[key])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def with_dotted(self, assignments: Mapping[str, str]) -> Settings:
        """Apply ``section.field=value`` strings (the ``--set`` flag)."""
        result = self
        for dotted, raw in assignments.items():
            section_name, _, field_name = dotted.partition(".")
            if not field_name:
                f = _field(type(self), section_name)
                result = replace(result, **{section_name: _coerce(f, raw)})
                continue
            section = getattr(result, section_name, None)
            if not dataclasses.is_dataclass(section) or isinstance(section, type):
                raise ValueError(f"unknown settings section {section_name!r}")
            f = _field(type(section), field_name)
            updated: Any = replace(section, **{field_name: _coerce(f, raw)})
            result = replace(result, **{section_name: updated})
        return result


def _sections() -> dict[str, type[Any]]:
    return {"kintsugi": KintsugiSettings, "asleep": AsleepSettings, "webhooks": WebhookSettings}


def _field(cls: type[Any], name: str) -> dataclasses.Field[Any]:
    for f in fields(cls):
        if f.name == name:
            return f
    raise ValueError(f"unknown setting {name!r} in {cls.__name__}")


def _coerce(f: dataclasses.Field[Any], raw: str) -> Any:
    """Turn the text of a flag or variable into the field's declared type."""
    hint = typing.get_type_hints(_owner(f))[f.name]
    try:
        return _parse(hint, raw.strip())
    except ValueError as exc:
        raise ValueError(f"setting {f.name}: {exc}") from None


def _owner(f: dataclasses.Field[Any]) -> type[Any]:
    owners: list[type[Any]] = [Settings, *_sections().values()]
    for cls in owners:
        if any(g is f for g in fields(cls)):
            return cls
    raise LookupError(f.name)  # pragma: no cover - every field has an owner


def _parse(hint: Any, raw: str) -> Any:
    origin = get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        if raw.lower() in ("", "none", "null"):
            return None
        (inner,) = [a for a in get_args(hint) if a is not type(None)]
        return _parse(inner, raw)
    if origin is Literal:
        if raw not in get_args(hint):
            raise ValueError(f"{raw!r} is not one of {', '.join(get_args(hint))}")
        return raw
    if origin is tuple:
        (item, _) = get_args(hint)
        return tuple(_parse(item, part.strip()) for part in raw.split(",") if part.strip())
    if hint is bool:
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off", ""):
            return False
        raise ValueError(f"{raw!r} is not a boolean")
    if hint is int:
        return int(raw)
    if hint is float:
        return float(raw)
    if hint is str:
        return raw
    raise ValueError(f"unsupported setting type {hint!r}")  # pragma: no cover
