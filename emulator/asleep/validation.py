"""FastAPI's part of request validation: reading the body, ``loc`` prefixes, the 422 list.

pydantic validates Asleep's models (``bodies``) exactly as the vendor's FastAPI server
would; this module adds what FastAPI itself does around that (asleep-api.md §1.4,
INFERRED server): read a JSON body (a body whose Content-Type is not JSON is validated
as the raw text), put ``body``/``query`` in front of ``loc``, ``input: null`` for a
missing parameter, render ``ctx`` like ``jsonable_encoder``. Which FastAPI:
docs/decisions.md. Imports pydantic: routes reach it lazily.
"""

from __future__ import annotations

from collections.abc import Mapping
from email.message import Message
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from emulator.asleep import errors
from emulator.asleep.schemas import loads

Model = TypeVar("Model", bound=BaseModel)
Problem = dict[str, Any]


def _jsonable(value: Any) -> Any:
    """``ctx`` values as FastAPI's ``jsonable_encoder`` renders them (an exception: ``{}``)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, BaseException):
        return {}
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def problems(exc: ValidationError, prefix: tuple[str, ...]) -> list[Problem]:
    """pydantic's errors as FastAPI's 422 list: ``loc`` under ``prefix``, no ``url``."""
    found: list[Problem] = []
    for error in exc.errors(include_url=False):
        item: Problem = {**error, "loc": [*prefix, *error["loc"]]}
        item["input"] = _jsonable(item["input"])
        if "ctx" in item:
            item["ctx"] = _jsonable(item["ctx"])
        found.append(item)
    return found


def _missing(loc: list[str | int]) -> Problem:
    return {"type": "missing", "loc": loc, "msg": "Field required", "input": None}


def _is_json(content_type: str) -> bool:
    message = Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def json_body(
    model: type[Model],
    raw: bytes,
    content_type: str | None,
    *,
    required: bool,
    context: Mapping[str, Any] | None = None,
) -> Model | None:
    """The body FastAPI would hand an endpoint with ``body: model`` (``| None = None``
    when not ``required``); ``ValidationFailed`` with FastAPI's list otherwise."""
    if not raw:
        if required:
            raise errors.ValidationFailed([_missing(["body"])])
        return None
    value: Any = raw
    if content_type is None or _is_json(content_type):
        try:
            value = loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            problem = {
                "type": "json_invalid",
                "loc": ["body", getattr(exc, "pos", 0)],
                "msg": "JSON decode error",
                "input": {},
                "ctx": {"error": getattr(exc, "msg", "Invalid JSON")},
            }
            raise errors.ValidationFailed([problem]) from None
    if value is None and not required:
        return None
    try:
        # FastAPI validates with from_attributes=True: its "model_attributes_type" errors.
        return model.model_validate(value, from_attributes=True, context=dict(context or {}))
    except ValidationError as exc:
        raise errors.ValidationFailed(problems(exc, ("body",))) from None


def query(model: type[Model], params: Mapping[str, str]) -> Model:
    """Query parameters FastAPI would validate one by one, in declaration order."""
    present = {name: params[name] for name in model.model_fields if name in params}
    try:
        return model.model_validate(present)
    except ValidationError as exc:
        found = problems(exc, ("query",))
        for item in found:
            if item["type"] == "missing":
                item["input"] = None  # each parameter is validated on its own
        raise errors.ValidationFailed(found) from None


def documented(
    model: type[Model], fields: Mapping[str, Any], texts: Mapping[str, type[errors.AsleepError]]
) -> Model:
    """``fields`` as ``model``, or the documented error of the first field at fault in the
    order of ``texts`` (``"*"``: any other field)."""
    try:
        return model.model_validate(dict(fields))
    except ValidationError as exc:
        at_fault = {str(error["loc"][0]) if error["loc"] else "*" for error in exc.errors()}
        for name, error in texts.items():
            if name in at_fault or (name == "*" and at_fault - set(texts)):
                raise error() from None
        raise errors.InvalidParameter() from None
