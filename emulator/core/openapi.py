"""Builders for the OpenAPI 3.1 document: schemas, parameters, responses, operations.

Shapes are declared once, where the code uses them: pydantic models (the vendors'
request and response models) become components and parameters through
``openapi_models``; the small builders below (``obj``, ``string``, ...) declare the
rest compactly (operations, and shapes no code validates). Every builder returns plain
JSON-able dicts; pydantic is imported only when a document is built, never at start-up.

Provenance: ``source(...)`` (or a model's ``json_schema_extra``) adds an
``x-emulator-source`` extension naming where a shape comes from (a seed page, a
research-note section, an SDK, or ``INFERRED``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

Schema = dict[str, Any]

SOURCE_KEY: Final = "x-emulator-source"
API_KEY_SCHEME: Final = "apiKey"
API_KEY_SECURITY: Final[list[dict[str, list[str]]]] = [{API_KEY_SCHEME: []}]
NO_SECURITY: Final[list[dict[str, list[str]]]] = []
COMPONENTS: Final = "#/components/schemas/"

# The control API (``/_emulator``): its tag and error body, shared by the control
# package's part and the vendors' control endpoints (which live in the vendors' parts).
CONTROL_TAG: Final = "Emulator control"
CONTROL_ERROR: Final = "ControlError"


@dataclass(frozen=True, slots=True)
class ApiPart:
    """One API's share of the document: its tag, paths and component schemas.

    A vendor's part also names the vendor and may hand the control API its sections of
    the control API's shared answers (``control``, by role: ``access``, the properties
    a tenant has for this vendor; ``demo``, its demo-data summary), so that the control
    part describes exactly the vendors an app serves and names none itself.
    """

    tag: str
    description: str
    paths: Callable[[], dict[str, dict[str, Any]]]
    components: Callable[[], dict[str, Schema]]
    vendor: str = ""
    control: Callable[[], Mapping[str, Schema]] | None = None


def ref(name: str) -> Schema:
    return {"$ref": f"{COMPONENTS}{name}"}


def source(schema: Schema, text: str) -> Schema:
    """``schema`` with an ``x-emulator-source`` note (where the shape comes from)."""
    return {**schema, SOURCE_KEY: text}


def nullable(schema: Schema) -> Schema:
    """``schema`` or JSON ``null`` (OpenAPI 3.1: a type list, or ``anyOf`` for a ``$ref``)."""
    if "$ref" in schema or "type" not in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    kind = schema["type"]
    kinds = list(kind) if isinstance(kind, list) else [kind]
    out = {**schema, "type": [*kinds, "null"]}
    if "enum" in schema:
        out["enum"] = [*schema["enum"], None]
    return out


def string(description: str | None = None, **extra: Any) -> Schema:
    return _described({"type": "string", **extra}, description)


def integer(description: str | None = None, **extra: Any) -> Schema:
    return _described({"type": "integer", **extra}, description)


def number(description: str | None = None, **extra: Any) -> Schema:
    return _described({"type": "number", **extra}, description)


def boolean(description: str | None = None) -> Schema:
    return _described({"type": "boolean"}, description)


def enum(values: Sequence[str], description: str | None = None) -> Schema:
    return _described({"type": "string", "enum": list(values)}, description)


def array(items: Schema, description: str | None = None, **extra: Any) -> Schema:
    return _described({"type": "array", "items": items, **extra}, description)


def obj(
    properties: Mapping[str, Schema],
    *,
    required: Iterable[str] | None = None,
    additional: bool | Schema = False,
    description: str | None = None,
) -> Schema:
    """An object; by default every listed property is required and no other is allowed."""
    out: Schema = {"type": "object", "properties": dict(properties)}
    names = list(properties) if required is None else list(required)
    if names:
        out["required"] = names
    out["additionalProperties"] = additional
    return _described(out, description)


def _described(schema: Schema, description: str | None) -> Schema:
    return schema if description is None else {**schema, "description": description}


# --------------------------------------------------------------------------- parameters


def parameter(
    name: str, where: str, schema: Schema, description: str, *, required: bool
) -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": required,
        "description": description,
        "schema": schema,
    }


def header(
    name: str, schema: Schema, description: str, *, required: bool = False
) -> dict[str, Any]:
    return parameter(name, "header", schema, description, required=required)


def query(name: str, schema: Schema, description: str, *, required: bool = False) -> dict[str, Any]:
    return parameter(name, "query", schema, description, required=required)


def path_param(name: str, description: str, schema: Schema | None = None) -> dict[str, Any]:
    return parameter(name, "path", schema or {"type": "string"}, description, required=True)


def item_path(name: str, description: str, **operations: Schema) -> Schema:
    """A path with one ``{name}`` segment: its parameter stated once, then the operations."""
    return {"parameters": [path_param(name, description)], **operations}


Paths = dict[str, dict[str, Any]]


def merge_paths(*groups: Callable[[], Paths]) -> Paths:
    """One document's paths from the functions that each build a group of them, in order."""
    merged: Paths = {}
    for group in groups:
        merged.update(group())
    return merged


# --------------------------------------------------------------------------- bodies


def json_body(schema: Schema, *, required: bool = True, description: str | None = None) -> Schema:
    return body({"application/json": schema}, required=required, description=description)


def body(
    content: Mapping[str, Schema], *, required: bool = True, description: str | None = None
) -> Schema:
    out: Schema = {
        "required": required,
        "content": {media: {"schema": schema} for media, schema in content.items()},
    }
    return _described(out, description)


def binary_file(description: str) -> Schema:
    """A file part of a multipart body (OpenAPI 3.1: ``contentMediaType``)."""
    return {
        "type": "string",
        "contentMediaType": "application/octet-stream",
        "description": description,
    }


# --------------------------------------------------------------------------- responses


def json_response(
    description: str, schema: Schema, *, headers: Mapping[str, Any] | None = None
) -> Schema:
    out: Schema = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        out["headers"] = dict(headers)
    return out


def empty_response(description: str) -> Schema:
    """A response without a body (204, or a 200 the vendor sends empty)."""
    return {"description": description}


def responses(*entries: tuple[int, Schema]) -> dict[str, Schema]:
    """Responses keyed by status; two entries for one status are merged (``anyOf``)."""
    out: dict[str, Schema] = {}
    for status, response in entries:
        key = str(status)
        if key in out:
            out[key] = _merge(out[key], response)
        else:
            out[key] = response
    return out


def _merge(first: Schema, second: Schema) -> Schema:
    a = first.get("content", {}).get("application/json", {}).get("schema")
    b = second.get("content", {}).get("application/json", {}).get("schema")
    if a is None or b is None:
        raise ValueError("only JSON responses can share a status")
    alternatives = [*(a["anyOf"] if set(a) == {"anyOf"} else [a]), b]
    merged = {
        "description": f"{first['description']} / {second['description']}",
        "content": {"application/json": {"schema": {"anyOf": alternatives}}},
    }
    headers = {**first.get("headers", {}), **second.get("headers", {})}
    if headers:
        merged["headers"] = headers
    return merged


def operation(
    operation_id: str,
    summary: str,
    *,
    tag: str,
    responses: dict[str, Schema],
    source_text: str,
    parameters: Sequence[Mapping[str, Any]] = (),
    request_body: Schema | None = None,
    description: str | None = None,
    security: list[dict[str, list[str]]] | None = None,
) -> Schema:
    out: Schema = {
        "operationId": operation_id,
        "summary": summary,
        "tags": [tag],
    }
    if description:
        out["description"] = description
    if parameters:
        out["parameters"] = [dict(p) for p in parameters]
    if request_body is not None:
        out["requestBody"] = request_body
    out["responses"] = responses
    if security is not None:
        out["security"] = security
    out[SOURCE_KEY] = source_text
    return out


# --------------------------------------------------------------------------- control API


def tenant_parameters(description: str) -> list[dict[str, Any]]:
    """The tenant a control operation acts on: the X-API-Key header, or its older alias
    ``?api_key=`` (``emulator.core.control_tenant``)."""
    return [
        header("x-api-key", string(minLength=1), description),
        query("api_key", string(minLength=1), "Alias of the X-API-Key header (the older form)"),
    ]


def control_operation(
    op_id: str, summary: str, *entries: tuple[int, Schema], source_text: str, **extra: Any
) -> Schema:
    """A control-API operation (no API key); where it reads a tenant, naming it twice,
    differently (header and alias), is a documented 400."""
    params = extra.get("parameters", ())
    if any(p.get("in") == "header" and p.get("name") == "x-api-key" for p in params):
        conflict = "`conflicting_api_key`: the header and an alias disagree"
        entries = (*entries, control_error(400, conflict))
    return control_op(op_id, summary, source_text, *entries, **extra)


def control_op(
    op_id: str, summary: str, source_text: str, *entries: tuple[int, Schema], **extra: Any
) -> Schema:
    """A control-API operation (no API key) answering ``entries``, as given."""
    return op(op_id, summary, source_text, *entries, tag=CONTROL_TAG, security=NO_SECURITY, **extra)


def op(
    op_id: str,
    summary: str,
    source_text: str,
    *entries: tuple[int, Schema],
    tag: str,
    security: list[dict[str, list[str]]] = API_KEY_SECURITY,
    **extra: Any,
) -> Schema:
    """An operation answering ``entries`` (status, response), under ``tag``."""
    return operation(
        op_id,
        summary,
        tag=tag,
        security=security,
        responses=responses(*entries),
        source_text=source_text,
        **extra,
    )


def control_error(status: int, text: str) -> tuple[int, Schema]:
    """A response entry of the control API's error body."""
    return status, json_response(text, ref(CONTROL_ERROR))


def page_parameters(limit_max: int) -> list[dict[str, Any]]:
    """``limit``/``offset`` of a paged control listing."""
    return [
        query("limit", integer(minimum=1, maximum=limit_max), "Page size"),
        query("offset", integer(minimum=0), "Skip N first"),
    ]


def paged(key: str, item: Schema, **extra: Schema) -> Schema:
    """A page of a control listing: ``extra`` fields, the counts, then ``key``'s items."""
    return obj(
        {
            **extra,
            "total": integer(minimum=0),
            "offset": integer(minimum=0),
            "limit": integer(minimum=1),
            key: array(item),
        }
    )
