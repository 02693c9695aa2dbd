"""Secrets shown without being given away: API keys and tokens as masked fingerprints.

A masked key keeps a short prefix (so a person recognises their own key) and ends in
four hex digits of its SHA-256 (so two keys with the same prefix still differ), e.g.
``demo…9f1c``. Nothing here can be turned back into the key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Final

ELLIPSIS: Final = "…"
# Request and response headers whose values are credentials.
SECRET_HEADERS: Final = frozenset(
    {"x-api-key", "authorization", "proxy-authorization", "cookie", "set-cookie"}
)


def mask(secret: str) -> str:
    """``secret`` as ``<prefix>…<4 hex digits of its SHA-256>``; the prefix is at most
    4 characters and at most a third of the secret."""
    digest = hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()[:4]
    return f"{secret[: min(4, len(secret) // 3)]}{ELLIPSIS}{digest}"


def mask_header(name: str, value: str) -> str:
    """A header value fit to show: credentials masked (an auth scheme word is kept)."""
    if name.lower() not in SECRET_HEADERS:
        return value
    scheme, sep, rest = value.partition(" ")
    if sep and rest and scheme.isalpha():
        return f"{scheme} {mask(rest)}"
    return mask(value)


def masked_headers(raw: Iterable[tuple[bytes, bytes]]) -> list[list[str]]:
    """ASGI header pairs as ``[name, value]`` text pairs, credentials masked."""
    out: list[list[str]] = []
    for key, value in raw:
        name = bytes(key).decode("latin-1").lower()
        out.append([name, mask_header(name, bytes(value).decode("latin-1"))])
    return out
