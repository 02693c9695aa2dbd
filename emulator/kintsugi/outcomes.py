"""Forced outcomes: how a test makes a session predict a chosen label or fail.

Two ways in, merged field by field when a prediction is submitted (later wins):

1. magic ``user_id`` directives, parsed here. A ``user_id`` is split on ``+``; every
   part shaped ``emu-<name>[:<value>]`` is a directive, anything else is plain text::

       emu-result:<label>  force a label; the label says which model it is for:
                           no_to_mild | mild_to_moderate | moderate_to_severe  (depression)
                           false | true | additional_consideration_required    (dep. binary)
                           no_or_minimal | mild | moderate | severe            (anxiety)
       emu-error:<code>    fail the audio check: unstandard_audio |
                           unsupported_audio_spec | insufficient_audio_length
       emu-hold            a v2 prediction stays `processing` until
                           POST /_emulator/kintsugi/advance

   e.g. ``clinic-7+emu-result:moderate_to_severe+emu-result:severe``. Control syntax
   never makes a valid vendor request fail: a part that looks like a directive but is
   not one (``emu-patient``, a typo such as ``emu-reslt:true``) is plain text, and the
   initiate response names it in an ``x-emulator-warning`` header
   (`stray_directives`), so a typo is visible without breaking the vendor contract.
2. control outcomes, stored in the ``kintsugi.outcomes`` table by user id or session
   id (``PUT /_emulator/kintsugi/outcomes/{users|sessions}/{id}``), same fields.

Precedence: session outcome > user outcome > magic user_id > the synthetic result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from typing import Any

from emulator.kintsugi.errors import AUDIO_CODES
from emulator.kintsugi.scores import (
    ANXIETY_SEVERITY,
    DEPRESSION_BINARY,
    DEPRESSION_SEVERITY,
    Category,
    Granularity,
    Model,
)

LABEL_FIELDS = {
    "depression_severity": DEPRESSION_SEVERITY,
    "depression_binary": DEPRESSION_BINARY,
    "anxiety_severity": ANXIETY_SEVERITY,
}
_DIRECTIVE = re.compile(r"^emu-([a-z_]+)(?::(.*))?$")


@dataclass(frozen=True, slots=True)
class Outcome:
    """A chosen result; ``None`` fields leave the synthetic value alone."""

    depression_severity: str | None = None
    depression_binary: str | None = None
    anxiety_severity: str | None = None
    error: str | None = None
    hold: bool | None = None

    def __post_init__(self) -> None:
        for name, allowed in LABEL_FIELDS.items():
            value = getattr(self, name)
            if value is not None and value not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}")
        if self.error is not None and self.error not in AUDIO_CODES:
            raise ValueError(f"error must be one of {', '.join(AUDIO_CODES)}")

    def over(self, base: Outcome) -> Outcome:
        """This outcome's set fields on top of ``base``."""
        changes = {f.name: getattr(self, f.name) for f in fields(self)}
        return replace(base, **{k: v for k, v in changes.items() if v is not None})

    def label(self, model: Model, category: Category) -> str | None:
        if category is Category.ANXIETY:
            return self.anxiety_severity
        if model.granularity is Granularity.BINARY:
            return self.depression_binary
        return self.depression_severity

    @property
    def empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))

    def to_json(self) -> dict[str, Any]:
        return {
            f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None
        }

    @classmethod
    def from_json(cls, data: Any) -> Outcome:
        """Parse a control body or a stored row; ValueError says what is wrong."""
        if not isinstance(data, dict):
            raise ValueError("an outcome is a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(
                f"unknown outcome fields {', '.join(unknown)}; use {', '.join(sorted(known))}"
            )
        for name in (*LABEL_FIELDS, "error"):
            if data.get(name) is not None and not isinstance(data[name], str):
                raise ValueError(f"{name} must be a string")
        if data.get("hold") is not None and not isinstance(data["hold"], bool):
            raise ValueError("hold must be a boolean")
        return cls(**data)


NO_OUTCOME = Outcome()


def label_field(label: str) -> str | None:
    """Which outcome field a bare label belongs to (the label sets are disjoint)."""
    for name, allowed in LABEL_FIELDS.items():
        if label in allowed:
            return name
    return None


def _directives(user_id: str) -> tuple[dict[str, Any], list[str]]:
    """(recognised directive fields, parts shaped like a directive that are not one)."""
    found: dict[str, Any] = {}
    stray: list[str] = []
    for part in user_id.split("+"):
        match = _DIRECTIVE.match(part)
        if match is None:
            continue
        name, value = match.group(1), match.group(2)
        if name == "result" and value is not None and (target := label_field(value)):
            found[target] = value
        elif name == "error" and value in AUDIO_CODES:
            found["error"] = value
        elif name == "hold" and value is None:
            found["hold"] = True
        else:
            stray.append(part)
    return found, stray


def parse_user_id(user_id: str) -> Outcome:
    """The directives in a magic user_id (NO_OUTCOME for ordinary ids); never fails."""
    found, _ = _directives(user_id)
    return Outcome(**found) if found else NO_OUTCOME


def stray_directives(user_id: str) -> list[str]:
    """Parts of a user_id that look like emulator directives but are none (plain text)."""
    return _directives(user_id)[1]
