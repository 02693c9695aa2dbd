"""OpenAPI shapes taken from pydantic models: components and parameters.

The vendors' request and response models are the one declaration of their shapes;
these turn them into the document's components (``model_components``) and parameters
(``parameters_of``), tidied for reading (``tidy``). pydantic is imported only when a
document is built, never at start-up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from emulator.core.openapi import COMPONENTS, Schema, nullable, parameter

Mode = Literal["validation", "serialization"]


def model_components(models: Sequence[tuple[Any, Mode]], *, prefix: str) -> dict[str, Schema]:
    """Components of pydantic ``models`` (and every model or enum they use).

    Requests in ``validation`` mode, responses in ``serialization`` mode; a model used
    both ways and shaped differently is ``<Name>`` as a response and ``<Name>Input`` as a
    request. Names get ``prefix`` unless they have it. The schemas are tidied for
    reading: no ``title``, ``null`` folded into the type list as ``nullable`` does.
    """
    from pydantic.json_schema import models_json_schema  # only when a document is built

    _, top = models_json_schema(models, ref_template=COMPONENTS + "{model}")
    defs: dict[str, Schema] = top.get("$defs", {})
    names = {name: _component_name(name, prefix) for name in defs}
    return {names[name]: tidy(schema, names) for name, schema in defs.items()}


def _component_name(name: str, prefix: str) -> str:
    base, _, mode = name.partition("-")
    base = base if base.startswith(prefix) else prefix + base
    return base + ("Input" if mode == "Input" else "")


def tidy(schema: Any, names: Mapping[str, str] | None = None) -> Any:
    """A generated schema made compact: titles dropped, ``$ref`` names mapped through
    ``names``, ``anyOf [X, null]`` folded into ``X`` (see ``nullable``)."""
    if isinstance(schema, list):
        return [tidy(item, names) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: tidy(value, names) for key, value in schema.items() if key != "title"}
    target = out.get("$ref")
    if isinstance(target, str) and names is not None:
        name = target.removeprefix(COMPONENTS)
        out["$ref"] = COMPONENTS + names.get(name, name)
    options = out.get("anyOf")
    if isinstance(options, list) and len(options) == 2 and {"type": "null"} in options:
        (kept,) = [option for option in options if option != {"type": "null"}]
        rest = {key: value for key, value in out.items() if key != "anyOf"}
        folded = nullable(kept)
        return {**folded, **rest} if "anyOf" not in folded else {**rest, **folded}
    return out


def parameters_of(schema: Schema, where: str) -> list[dict[str, Any]]:
    """OpenAPI parameters (``in: where``) of a model's validation-mode JSON schema."""
    required = set(schema.get("required", ()))
    found: list[dict[str, Any]] = []
    for name, prop in schema.get("properties", {}).items():
        prop = tidy(prop)
        description = prop.pop("description", "")
        if isinstance(prop.get("type"), list) and name not in required:
            # An optional parameter is absent, never null: a query string has no null.
            prop["type"] = [kind for kind in prop["type"] if kind != "null"]
            prop["type"] = prop["type"][0] if len(prop["type"]) == 1 else prop["type"]
            if prop.get("default", 0) is None:
                del prop["default"]
        found.append(parameter(name, where, prop, description, required=name in required))
    return found
