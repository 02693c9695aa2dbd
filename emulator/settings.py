"""Configuration: one frozen ``Settings`` value, read once from flags and environment.

Every field has an environment twin (uvicorn's discipline): top-level fields are
``EMULATOR_<FIELD>`` (``EMULATOR_PORT``), section fields are
``EMULATOR_<SECTION>_<FIELD>`` (``EMULATOR_KINTSUGI_MIN_VOICE_SECONDS``). The same
dotted names (``kintsugi.min_voice_seconds``) work with ``--set`` on the command line.

This module only composes: each section is declared by the part it configures
(``asleep.settings``, ``kintsugi.settings``, the outbox's ``WebhookSettings``) and
``core.config`` turns text into typed values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from emulator.asleep.settings import AsleepSettings
from emulator.audio.settings import AudioSettings
from emulator.core import config
from emulator.core.outbox import WebhookSettings
from emulator.kintsugi.settings import KintsugiSettings

# The sections, so a test suite builds ``Settings(kintsugi=KintsugiSettings(...))``
# from this one module.
__all__ = [
    "ALIASES",
    "AsleepSettings",
    "AudioSettings",
    "KintsugiSettings",
    "Settings",
    "WebhookSettings",
]


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
    audio: AudioSettings = field(default_factory=AudioSettings)

    @classmethod
    def from_env(cls, environ: Mapping[str, str], **overrides: Any) -> Settings:
        """Build settings from ``EMULATOR_*`` variables, then apply explicit overrides."""
        assignments: dict[str, str] = {}
        for name, section in sections().items():
            prefix = f"EMULATOR_{name.upper()}_"
            for field_name in config.field_names(section):
                if prefix + field_name.upper() in environ:
                    assignments[f"{name}.{field_name}"] = environ[prefix + field_name.upper()]
        for old, new in ALIASES.items():
            env = "EMULATOR_" + old.replace(".", "_").upper()
            if env in environ:
                assignments.setdefault(new, environ[env])
        for field_name in config.field_names(cls):
            key = f"EMULATOR_{field_name.upper()}"
            if field_name not in sections() and key in environ:
                assignments[field_name] = environ[key]
        found = cls().with_dotted(assignments)
        explicit = {k: v for k, v in overrides.items() if v is not None}
        return replace(found, **explicit) if explicit else found

    def with_dotted(self, assignments: Mapping[str, str]) -> Settings:
        """Apply ``section.field=value`` (or top-level ``field=value``) strings (``--set``)."""
        result = self
        for dotted, raw in assignments.items():
            dotted = ALIASES.get(dotted, dotted)
            section_name, _, field_name = dotted.partition(".")
            if not field_name:
                if section_name in sections():
                    raise ValueError(f"{section_name} is a section; set {section_name}.<field>")
                value = config.coerce(type(self), section_name, raw)
                result = replace(result, **{section_name: value})
                continue
            section_type = sections().get(section_name)
            if section_type is None:
                known = ", ".join(sections())
                raise ValueError(f"unknown settings section {section_name!r} (known: {known})")
            section = getattr(result, section_name)
            value = config.coerce(section_type, field_name, raw)
            result = replace(result, **{section_name: replace(section, **{field_name: value})})
        return result


def sections() -> dict[str, type[Any]]:
    """The settings sections, each owned by the part of the emulator it configures."""
    return {
        "kintsugi": KintsugiSettings,
        "asleep": AsleepSettings,
        "webhooks": WebhookSettings,
        "audio": AudioSettings,
    }


# Names that moved, still accepted (``--set`` and ``EMULATOR_*``): the webhook payload
# version and cadence are Asleep's, not the delivery machinery's.
ALIASES: dict[str, str] = {
    "webhooks.version": "asleep.webhook_version",
    "webhooks.cadence_minutes": "asleep.cadence_minutes",
}
