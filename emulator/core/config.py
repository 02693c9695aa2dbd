"""Reading typed settings from text: environment variables, ``--set`` and config files.

Settings are frozen dataclasses whose fields are plain types (``bool``, ``int``,
``float``, ``str``, ``Literal[...]``, ``tuple[X, ...]``, ``X | None``). This module
turns the text of a flag or variable into the declared type, strictly: ``"yes"`` is a
boolean, ``"3.5"`` is not an integer, an unknown name or a value outside a
``Literal`` is a ``ValueError`` that names the setting and what it accepts. It knows
no particular settings; ``emulator.settings`` composes the sections. ``Parser`` is the
command line's argparse, whose usage errors are one line.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import types
import typing
from collections.abc import Callable
from typing import Any, Literal, NoReturn, get_args, get_origin

TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off", "")


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (the usage text is one --help away)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())} (see --help)\n")


def seconds_between(low: int, high: int, *, ends: bool) -> Callable[[str], float]:
    """An argparse type: a number of seconds from ``low`` to ``high``, the ends included
    when ``ends``, excluded otherwise."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
        if not (low <= value <= high if ends else low < value < high):
            raise argparse.ArgumentTypeError(f"{text!r} is not between {low} and {high} seconds")
        return value

    return parse


def field_names(cls: type[Any]) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


def hint_of(cls: type[Any], name: str) -> Any:
    """The declared type of field ``name`` of dataclass ``cls``; ValueError if unknown."""
    if name not in field_names(cls):
        known = ", ".join(field_names(cls))
        raise ValueError(f"unknown setting {name!r} (known: {known})")
    return typing.get_type_hints(cls)[name]


def coerce(cls: type[Any], name: str, raw: str) -> Any:
    """The text ``raw`` as a value of field ``name`` of ``cls``."""
    try:
        return parse(hint_of(cls, name), raw.strip())
    except ValueError as exc:
        raise ValueError(f"setting {name}: {exc}") from None


def parse(hint: Any, raw: str) -> Any:
    origin = get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        if raw.lower() in ("", "none", "null"):
            return None
        (inner,) = [a for a in get_args(hint) if a is not type(None)]
        return parse(inner, raw)
    if origin is Literal:
        if raw not in get_args(hint):
            raise ValueError(f"{raw!r} is not one of {', '.join(map(str, get_args(hint)))}")
        return raw
    if origin is tuple:
        (item, _) = get_args(hint)
        return tuple(parse(item, part.strip()) for part in raw.split(",") if part.strip())
    if hint is bool:
        if raw.lower() in TRUE:
            return True
        if raw.lower() in FALSE:
            return False
        raise ValueError(f"{raw!r} is not a boolean (true/false, 1/0, yes/no, on/off)")
    if hint is int:
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"{raw!r} is not an integer") from None
    if hint is float:
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"{raw!r} is not a number") from None
        if not math.isfinite(value):
            raise ValueError(f"{raw!r} is not a finite number")
        return value
    if hint is str:
        return raw
    raise ValueError(f"unsupported setting type {hint!r}")  # pragma: no cover
