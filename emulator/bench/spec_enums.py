"""The enum values an OpenAPI document lists for each field of a response.

``SpecEnums(document).for_response(method, path, status)`` finds the operation whose
path template matches (literal paths before templated ones, as the emulator's router
does), takes the JSON schema of that status (or ``default``) and collects, per data
path, every ``enum`` and ``const`` reachable through ``$ref``, ``anyOf``, ``oneOf`` and
``allOf``. Data paths use ``[]`` for array items and ``*`` for additional properties.
"""

from __future__ import annotations

import re
from typing import Any, Final

from emulator.bench.compare import Enums, Path

MAX_DEPTH: Final = 40


class SpecEnums:
    def __init__(self, document: dict[str, Any] | None) -> None:
        self.document = document or {}
        self._templates: list[tuple[int, re.Pattern[str], str]] = []
        for template in self.document.get("paths", {}):
            params = template.count("{")
            pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
            self._templates.append((params, re.compile(f"^{pattern}$"), template))
        self._templates.sort(key=lambda t: t[0])
        self._cache: dict[tuple[str, str, int], Enums] = {}

    def template(self, path: str) -> str | None:
        return next((t for _, pattern, t in self._templates if pattern.match(path)), None)

    def for_response(self, method: str, path: str, status: int) -> Enums:
        template = self.template(path)
        if template is None:
            return {}
        key = (method.lower(), template, status)
        if key not in self._cache:
            operation = self.document["paths"][template].get(method.lower()) or {}
            responses = operation.get("responses", {})
            response = responses.get(str(status)) or responses.get("default") or {}
            response = self._resolve(response)
            content = response.get("content", {})
            media: dict[str, Any] = content.get("application/json") or next(
                iter(content.values()), {}
            )
            found: dict[Path, set[str]] = {}
            free: set[Path] = set()
            self._collect(media.get("schema", {}), (), found, free, 0)
            # A field some branch allows as any string has no enum to hold values to.
            self._cache[key] = {p: frozenset(v) for p, v in found.items() if p not in free}
        return self._cache[key]

    def _resolve(self, schema: Any) -> Any:
        for _ in range(MAX_DEPTH):
            if not isinstance(schema, dict) or "$ref" not in schema:
                return schema
            target: Any = self.document
            for part in str(schema["$ref"]).lstrip("#/").split("/"):
                target = target.get(part, {}) if isinstance(target, dict) else {}
            schema = target
        return {}

    def _collect(
        self,
        schema: Any,
        path: Path,
        found: dict[Path, set[str]],
        free: set[Path],
        depth: int,
    ) -> None:
        schema = self._resolve(schema)
        if not isinstance(schema, dict) or depth > MAX_DEPTH:
            return
        values = list(schema.get("enum", []))
        if "const" in schema:
            values.append(schema["const"])
        strings = {v for v in values if isinstance(v, str)}
        if strings:
            found.setdefault(path, set()).update(strings)
        types = schema.get("type")
        if not values and (types == "string" or (isinstance(types, list) and "string" in types)):
            free.add(path)
        for combinator in ("anyOf", "oneOf", "allOf"):
            for branch in schema.get(combinator, []):
                self._collect(branch, path, found, free, depth + 1)
        for name, sub in schema.get("properties", {}).items():
            self._collect(sub, (*path, name), found, free, depth + 1)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            self._collect(extra, (*path, "*"), found, free, depth + 1)
        if "items" in schema:
            self._collect(schema["items"], (*path, "[]"), found, free, depth + 1)
