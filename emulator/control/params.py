"""Reading a control request's inputs: its JSON body and its query parameters.

Each refusal is a 400 ``ControlError`` saying which input is wrong and why; hostile
bodies (huge numbers, deep nesting, NaN) are refused by ``emulator.core.jsonin``.
"""

from __future__ import annotations

from typing import Any, Final

from starlette.requests import Request

from emulator.core import jsonin
from emulator.core.errors import ControlError


async def json_body(request: Request) -> Any:
    """The request's JSON body, or a 400 control error saying why it is not (hostile
    input included: huge numbers, deep nesting, NaN; ``emulator.core.jsonin``)."""
    raw = await request.body()
    if not raw.strip():
        raise ControlError("this endpoint needs a JSON body")
    try:
        return jsonin.loads(raw)
    except jsonin.JsonInputError as exc:
        raise ControlError(f"body is not valid JSON: {exc}") from None


def int_param(raw: str | None, name: str) -> int | None:
    """A non-negative integer query parameter, or None when it is absent."""
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ControlError(f"{name} must be an integer") from None
    if value < 0:
        raise ControlError(f"{name} must not be negative")
    return value


FLAGS: Final = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}


FLAG_VALUES: Final = tuple(FLAGS)


def flag(raw: str, name: str) -> bool:
    """A yes/no query parameter spelled as its schema says (``FLAGS``); 400 otherwise,
    so a typo such as ``detail=ture`` is not quietly read as no."""
    if raw not in FLAGS:
        raise ControlError(f"{name} must be one of {', '.join(FLAGS)}")
    return FLAGS[raw]
