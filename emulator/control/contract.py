"""Response self-validation: every vendor and control response checked against the document.

With ``Settings.validate_responses`` (or the environment variable
``EMULATOR_VALIDATE_RESPONSES=1``, which ``create_app`` also honours so that test
suites can switch it on for every app they build) the app gets a
``ContractMiddleware``. For each request to an operation of the OpenAPI document
(``emulator.control.openapi``) it checks the response as it leaves:

* the status code is documented for that operation;
* a documented JSON body is JSON of the right media type and matches its schema;
  a response documented without a body has none.

A violation is logged as an ERROR on the ``emulator.control.contract`` logger (method, path,
status, the validation message) and recorded: ``GET /_emulator/contract`` shows the
count and the latest ones. Nothing about the response changes. Requests no
documented operation covers (unknown paths, wrong methods) are not checked.

Injected faults are not checked either: the middleware sits inside the fault
middleware, so it sees what the emulator itself answered. Crashes (500s rendered by
Starlette's outermost error middleware) do not pass through it; they are logged
anyway.

Schemas are compiled once per process, lazily, one validator per (operation, status).
``jsonschema_rs`` (the ``validate`` extra, which the test extra and the Docker image
include) is imported only when validation is on.
"""

from __future__ import annotations

import json
import logging
import re
from collections import deque
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    import jsonschema_rs


log = logging.getLogger("emulator.control.contract")

ENV_VAR: Final = "EMULATOR_VALIDATE_RESPONSES"
KEEP_VIOLATIONS: Final = 100
_METHODS: Final = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
_JSON: Final = "application/json"

Schema = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Violation:
    method: str
    path: str
    operation: str | None
    status: int
    message: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Record:
    """What one app's validator has seen (``GET /_emulator/contract``)."""

    enabled: bool = False
    checked: int = 0
    violation_count: int = 0
    violations: deque[Violation] = field(default_factory=lambda: deque(maxlen=KEEP_VIOLATIONS))

    def add(self, violation: Violation) -> None:
        self.violation_count += 1
        self.violations.append(violation)

    def to_json(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "checked": self.checked,
            "violation_count": self.violation_count,
            "violations": [v.to_json() for v in self.violations],
        }


class Operation:
    """One documented (method, path) with lazily compiled response validators."""

    def __init__(self, method: str, template: str, spec: Mapping[str, Any], root: Schema) -> None:
        self.method = method
        self.template = template
        self.id: str = spec.get("operationId", f"{method} {template}")
        self.responses: Mapping[str, Any] = spec.get("responses", {})
        self._root = root
        self._validators: dict[str, jsonschema_rs.Validator | None] = {}

    def check(self, status: int, content_type: str, body: bytes) -> str | None:
        """The violation's message, or None when the response matches the document."""
        key = str(status)
        response = self.responses.get(key)
        if response is None:
            documented = ", ".join(sorted(self.responses))
            return f"status {status} is not documented (documented: {documented})"
        content = response.get("content")
        if not content:
            return None if not body else f"documented without a body, got {len(body)} bytes"
        if _JSON not in content:
            return None  # only JSON bodies are described precisely
        if content_type.split(";")[0].strip().lower() != _JSON:
            return f"content type {content_type or '(none)'!r} is not {_JSON}"
        try:
            instance = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            return f"body is not JSON: {exc}"
        validator = self._validator(key, content[_JSON].get("schema"))
        if validator is None or validator.is_valid(instance):
            return None
        errors = list(validator.iter_errors(instance))
        first = errors[0]
        where = "/".join(str(p) for p in first.instance_path) or "(body)"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return f"at {where}: {first.message}{more}"

    def _validator(self, key: str, schema: Schema | None) -> jsonschema_rs.Validator | None:
        if key not in self._validators:
            self._validators[key] = None if schema is None else _compile(schema, self._root)
        return self._validators[key]


def _compile(schema: Schema, root: Schema) -> jsonschema_rs.Validator:
    import jsonschema_rs

    # The response schema becomes a root that also carries the document's components,
    # so its "#/components/schemas/..." references resolve inside it.
    combined = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": root["components"],
        **schema,
    }
    return jsonschema_rs.validator_for(combined, validate_formats=True)


class Contract:
    """Finds the documented operation of a request and checks its response."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        root: Schema = {"components": doc.get("components", {})}
        self._exact: dict[tuple[str, str], Operation] = {}
        templated: list[tuple[int, str, re.Pattern[str], Operation]] = []
        for template, item in doc.get("paths", {}).items():
            for method in _METHODS:
                spec = item.get(method)
                if spec is None:
                    continue
                op = Operation(method.upper(), template, spec, root)
                if "{" not in template:
                    self._exact[(op.method, template)] = op
                else:
                    pattern = re.compile(
                        "^" + re.sub(r"\\\{[^}/]+\\\}", "[^/]+", re.escape(template)) + "$"
                    )
                    templated.append((template.count("{"), template, pattern, op))
        # Fewer parameters first: /callbacks/failures wins over /callbacks/{delivery_id}.
        templated.sort(key=lambda t: (t[0], t[1]))
        self._templated = [(pattern, op) for _, _, pattern, op in templated]

    def operation(self, method: str, path: str) -> Operation | None:
        found = self._exact.get((method, path))
        if found is not None:
            return found
        for pattern, op in self._templated:
            if op.method == method and pattern.match(path):
                return op
        return None


_CONTRACTS: dict[int, tuple[Mapping[str, Any], Contract]] = {}


def contract_for(doc: Mapping[str, Any]) -> Contract:
    """The contract of ``doc``, made once per document (its validators compile lazily)."""
    found = _CONTRACTS.get(id(doc))
    if found is None or found[0] is not doc:
        found = _CONTRACTS[id(doc)] = (doc, Contract(doc))
    return found[1]


def require_validator() -> None:
    """ValueError (start-up refused) when the JSON Schema validator is not installed."""
    try:
        import jsonschema_rs  # noqa: F401
    except ImportError:
        raise ValueError(
            "response validation needs jsonschema-rs: pip install 'vendor-emulator[validate]' "
            "(or jsonschema-rs)"
        ) from None


def env_enabled(environ: Mapping[str, str]) -> bool:
    return environ.get(ENV_VAR, "").strip().lower() in ("1", "true", "yes", "on")


class ContractMiddleware:
    """Checks each documented response as it leaves; logs and records violations."""

    def __init__(self, app: ASGIApp, record: Record, checker: Contract) -> None:
        self.app = app
        self.record = record
        self.checker = checker

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        path: str = scope["path"]
        op = self.checker.operation(method, path)
        if op is None:
            await self.app(scope, receive, send)
            return
        status = 0
        content_type = ""
        chunks: list[bytes] = []

        async def checked_send(message: Message) -> None:
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", []):
                    if name.lower() == b"content-type":
                        content_type = value.decode("latin-1")
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    self._check(op, method, path, status, content_type, b"".join(chunks))
            await send(message)

        await self.app(scope, receive, checked_send)

    def _check(
        self, op: Operation, method: str, path: str, status: int, content_type: str, body: bytes
    ) -> None:
        self.record.checked += 1
        try:
            problem = op.check(status, content_type, body)
        except Exception as exc:  # a broken schema must not break the response
            problem = f"validator failed: {exc!r}"
        if problem is None:
            return
        self.record.add(Violation(method, path, op.id, status, problem))
        log.error(
            "%s %s -> %d violates the OpenAPI document (%s): %s",
            method,
            path,
            status,
            op.id,
            problem,
        )


def routes(record: Record) -> list[BaseRoute]:
    """``GET /contract``: what response validation has checked and found."""

    async def get_contract(request: Request) -> Response:
        return JSONResponse(record.to_json())

    return [Route("/contract", get_contract, methods=["GET"])]
