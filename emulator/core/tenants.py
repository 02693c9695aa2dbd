"""API keys and what each may use.

Without a config file every non-empty key is accepted with every vendor's default
access (the common CI case). With one (``--config``, TOML or JSON), only the listed
keys exist, each an entry of ``[keys."<api key>"]`` whose fields belong to the
vendors: each vendor hands the app an ``AccessSection`` that reads its own fields
(strictly: a string where a boolean belongs is an error, not a truthy value) into
an access object, which vendor code gets back with ``tenant.access(ItsClass)``.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

A = TypeVar("A")
A_co = TypeVar("A_co", covariant=True)


class Access(Protocol):
    def to_json(self) -> dict[str, Any]: ...


class AccessSection(Protocol[A_co]):
    """One vendor's part of a tenant entry."""

    @property
    def keys(self) -> frozenset[str]:
        """The entry fields this section reads."""
        ...

    def default(self) -> A_co:
        """What a key gets without a config file."""
        ...

    def parse(self, api_key: str, entry: Mapping[str, Any]) -> A_co:
        """The access ``entry`` grants; ValueError naming the field when it is wrong."""
        ...


class Tenant:
    """One API key and what each vendor grants it."""

    __slots__ = ("_access", "api_key")

    def __init__(self, api_key: str, access: Sequence[object]) -> None:
        self.api_key = api_key
        self._access = tuple(access)

    def access(self, kind: type[A]) -> A:
        """The access object of class ``kind`` (a vendor asking what this key may do)."""
        for found in self._access:
            if isinstance(found, kind):
                return found
        raise LookupError(f"no {kind.__name__} for this tenant")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"api_key": self.api_key}
        for found in self._access:
            out.update(found.to_json())  # type: ignore[attr-defined]
        return out


class Tenants:
    """Looks keys up. ``open`` registries accept any non-empty key."""

    def __init__(
        self, sections: Sequence[AccessSection[object]], keys: dict[str, Tenant] | None = None
    ) -> None:
        self.open = keys is None
        self._keys = keys or {}
        self._sections = tuple(sections)
        self._defaults = tuple(section.default() for section in sections)

    def lookup(self, api_key: str | None) -> Tenant | None:
        """The tenant for a key, or None when the key is missing or unknown (a 401)."""
        if not api_key:
            return None
        if not self.open:
            return self._keys.get(api_key)
        # Made per lookup, kept nowhere: a request with an unknown key leaves nothing.
        return Tenant(api_key, self._defaults)

    def listed(self) -> list[Tenant]:
        return list(self._keys.values())

    def defaults(self) -> dict[str, Any]:
        """What any key gets in an open registry, as JSON (without an api_key)."""
        out: dict[str, Any] = {}
        for found in self._defaults:
            out.update(found.to_json())  # type: ignore[attr-defined]
        return out

    @classmethod
    def from_file(cls, path: str | Path, sections: Sequence[AccessSection[object]]) -> Tenants:
        text = Path(path).read_text(encoding="utf-8")
        doc = json.loads(text) if str(path).endswith(".json") else tomllib.loads(text)
        return cls.from_document(doc, sections)

    @classmethod
    def from_document(cls, doc: Any, sections: Sequence[AccessSection[object]]) -> Tenants:
        keys = doc.get("keys") if isinstance(doc, dict) else None
        if not isinstance(keys, dict) or not keys:
            raise ValueError("tenant config needs a non-empty [keys] table")
        return cls(sections, {k: _tenant(k, v, sections) for k, v in keys.items()})


def _tenant(api_key: str, entry: Any, sections: Sequence[AccessSection[object]]) -> Tenant:
    if not api_key:
        raise ValueError("keys: an API key must not be empty")
    if not isinstance(entry, dict):
        raise ValueError(f"keys.{api_key} must be a table")
    known = frozenset().union(*(section.keys for section in sections))
    unknown = set(entry) - known
    if unknown:
        raise ValueError(
            f"keys.{api_key}: unknown entries {', '.join(sorted(unknown))} "
            f"(known: {', '.join(sorted(known))})"
        )
    return Tenant(api_key, [section.parse(api_key, entry) for section in sections])
