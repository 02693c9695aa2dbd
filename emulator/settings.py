"""Configuration: one frozen ``Settings`` value, read once from flags and environment.

Every field has an environment twin (uvicorn's discipline): top-level fields are
``EMULATOR_<FIELD>`` (``EMULATOR_PORT``), section fields are
``EMULATOR_<SECTION>_<FIELD>`` (``EMULATOR_KINTSUGI_MIN_VOICE_SECONDS``). The same
dotted names (``kintsugi.min_voice_seconds``) work with ``--set`` on the command line.

This module only composes: each section is declared by the part it configures
(``asleep.settings``, ``kintsugi.settings``, the outbox's ``WebhookSettings``) and
``core.config`` turns text into typed values.

Start-up checks (``check``): a configuration the emulator cannot use fails before it serves.

The CLI runs these on the finished ``Settings`` (flags, ``EMULATOR_*`` variables and
``--set`` already applied and typed) and turns a ``ConfigError`` into one line on
stderr and exit status 2. Types are checked where text becomes settings; this module
adds what a type cannot say:

* every number is finite, not negative, and within reach (a duration ending in
  ``_seconds`` or ``_minutes`` at most ~31 years, any other number at most 2**53);
  ``seed`` takes any integer;
* fields named ``*_status`` are HTTP status codes (100-599);
* ``BOUNDS`` names the few settings with tighter limits (the port; counts that
  must be at least 1);
* the log level is one the CLI knows;
* the files named exist and can be used: the config file is readable UTF-8 TOML or
  JSON (its meaning is checked where it is loaded), the state file's directory is
  writable, the address file's directory too.

The walk is generic over the settings dataclasses, so a section added by a vendor is
checked without being named here.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

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
    # redis://HOST:PORT/DB: share one world with every process using the same database
    # (emulator.core.shared; docs/scaling.md). Redis 6.2+ or Valkey.
    state_url: str | None = None
    # Server processes on this machine (``serve --workers``); more than one needs
    # ``state_url``.
    workers: int = 1
    # API keys that may hold data at once (0: no limit); a write for one more is a 503.
    max_tenants: int = 0
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
    # ...and one that keeps trickling gets it once this long has passed since it began.
    body_deadline_seconds: float = 300.0
    # Body bytes all requests in flight may hold at once; past it a request gets a 503
    # with Retry-After. Spooled bodies (Kintsugi audio) count 1 MiB each.
    max_inflight_body_bytes: int = 512 * 1024 * 1024
    # The cap of a PUT /_emulator/state document (other control bodies: 8 MiB).
    state_max_bytes: int = 256 * 1024 * 1024
    # Bearer token of the control API (docs/security.md). Unset: zero-config, unless a
    # tenant config is given. Never shown (repr) or logged.
    control_token: str | None = field(default=None, repr=False)
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


# --------------------------------------------------------------------------- start-up checks

LOG_LEVELS: Final = ("critical", "error", "warning", "info", "debug")
# Settings any integer suits (a seed only feeds the generators).
ANY_INTEGER: Final = frozenset({"seed"})
# Tighter (low, high) than the general rule, by dotted name, inclusive; None keeps the
# general limit. Zero would void these: every body late, every chunk the wrong length.
# (A section may check its own fields too, as the webhooks section does when built.)
BOUNDS: Final[dict[str, tuple[float | None, float | None]]] = {
    "port": (0, 65535),
    "body_timeout_seconds": (0.001, None),
    "asleep.chunk_seconds": (0.001, None),
}
_MAX_NUMBER: Final = 2**53
_MAX_SECONDS: Final = 10**9  # ~31 years: still far inside datetime.timedelta
_STATUS: Final = (100, 599)


class ConfigError(ValueError):
    """A setting or a file the emulator cannot start with; the message is one line."""


def check(settings: Any, flags: Mapping[str, str] | None = None) -> None:
    """Raise ``ConfigError`` for the first unusable value in ``settings``.

    ``flags``: the command-line flag of a setting, by dotted name, for the message.
    """
    for dotted, value in _leaves(settings):
        _check_value(dotted, value, (flags or {}).get(dotted))
    level = getattr(settings, "log_level", "info")
    if str(level).lower() not in LOG_LEVELS:
        raise ConfigError(
            f"log level {level!r} is not one of {', '.join(LOG_LEVELS)} "
            "(--log-level, EMULATOR_LOG_LEVEL)"
        )
    if getattr(settings, "config", None):
        check_config_file(settings.config)
    if getattr(settings, "state_file", None):
        check_writable_file(settings.state_file, "state file")
    if getattr(settings, "address_file", None):
        check_writable_file(settings.address_file, "address file")


def env_name(dotted: str) -> str:
    """The environment twin of a dotted setting name."""
    return "EMULATOR_" + dotted.replace(".", "_").upper()


def _leaves(obj: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        dotted = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            yield from _leaves(value, dotted + ".")
        else:
            yield dotted, value


def _check_value(dotted: str, value: Any, flag: str | None) -> None:
    items = value if isinstance(value, tuple) else (value,)
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int | float):
            continue
        if dotted in ANY_INTEGER and isinstance(item, int):
            continue
        low, high = _bounds(dotted)
        if not math.isfinite(item) or not low <= item <= high:
            ways = [*([flag] if flag else []), env_name(dotted)]
            raise ConfigError(
                f"setting {dotted} = {item!r} is not between {_number(low)} and "
                f"{_number(high)} (set by {', '.join(ways)} or --set {dotted}=...)"
            )


def _bounds(dotted: str) -> tuple[float, float]:
    name = dotted.rpartition(".")[2]
    low, high = 0, _MAX_NUMBER
    if name == "status" or name.endswith("_status"):
        low, high = _STATUS
    elif name.endswith("_seconds"):
        high = _MAX_SECONDS
    elif name.endswith("_minutes"):
        high = _MAX_SECONDS // 60
    tighter_low, tighter_high = BOUNDS.get(dotted, (None, None))
    return (
        low if tighter_low is None else tighter_low,
        high if tighter_high is None else tighter_high,
    )


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def check_config_file(path: str) -> None:
    """The config file is a readable UTF-8 file in TOML (or, for ``*.json``, JSON)."""
    text = _read(path, "config file")
    try:
        if path.endswith(".json"):
            json.loads(text)
        else:
            tomllib.loads(text)
    except ValueError as exc:
        kind = "JSON" if path.endswith(".json") else "TOML"
        raise ConfigError(f"config file {path}: not valid {kind}: {_one_line(exc)}") from None


def _read(path: str, what: str) -> str:
    target = Path(path)
    try:
        if target.is_dir():
            raise ConfigError(f"{what} {path} is a directory")
        return target.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{what} {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{what} {path}: not UTF-8 text ({exc.reason})") from None


def check_writable_file(path: str, what: str) -> None:
    """``path`` is a file this process may write, or can be created as one."""
    try:
        _check_writable(Path(path), what)
    except OSError as exc:  # e.g. a directory on the way this user may not enter
        raise ConfigError(f"{what} {path}: {exc.strerror or exc}") from None


def _check_writable(target: Path, what: str) -> None:
    path = str(target)
    if target.is_dir():
        raise ConfigError(f"{what} {path} is a directory")
    if target.exists():
        if not os.access(target, os.R_OK | os.W_OK):
            raise ConfigError(f"{what} {path} is not readable and writable by {_who()}")
        return
    parent = target.parent
    if not parent.is_dir():
        raise ConfigError(f"{what} {path}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError(
            f"{what} {path}: directory {parent} is not writable by {_who()} "
            "(a bind-mounted host directory keeps its owner: use a named volume, "
            "or make the directory writable for this user)"
        )


def _who() -> str:
    return f"uid {os.getuid()}" if hasattr(os, "getuid") else "this user"


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())
