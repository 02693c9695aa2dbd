"""Secrets shown without being given away: API keys and tokens as masked fingerprints.

A masked key keeps a short prefix (so a person recognises their own key) and ends in
four hex digits of its SHA-256 (so two keys with the same prefix still differ), e.g.
``demo…9f1c``. Nothing here can be turned back into the key.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Final
from urllib.parse import unquote_plus

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


def is_masked(text: str) -> bool:
    """Whether ``text`` looks like a masked fingerprint (``mask`` output), not a key."""
    head, sep, digest = text.rpartition(ELLIPSIS)
    return bool(sep) and len(digest) == 4 and len(head) <= 4 and _is_hex(digest)


def key_matches(actual: str | None, wanted: str) -> bool:
    """Whether the key ``actual`` is the one a filter names: by the key itself, or by
    its masked fingerprint (what every listing shows, so a listed value filters too)."""
    if actual is None:
        return False
    if actual == wanted:
        return True
    return is_masked(wanted) and mask(actual) == wanted


def masked(secret: str | None) -> str | None:
    """``mask`` that lets ``None`` (no key) through."""
    return None if secret is None else mask(secret)


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)


# Query parameters whose values are credentials (``?api_key=``, ``?token=``, the
# inspector's ``?tenant=``): masked wherever a query string is shown or logged.
_SECRET_PARAM = re.compile(r"(?i)((?:^|&)[^=&]*(?:key|token|secret|password|tenant)[^=&]*=)([^&]*)")


def mask_query(query: str) -> str:
    """A query string fit to show: the values of credential-like parameters masked."""
    if "=" not in query:
        return query
    return _SECRET_PARAM.sub(_masked_param, query)


def _masked_param(match: re.Match[str]) -> str:
    name, value = match.group(1), match.group(2)
    return name + (mask(unquote_plus(value)) if value else "")


def resolve(wanted: str, known: Iterable[str | None]) -> str:
    """The key a filter names: ``wanted`` itself, or, when it is a masked fingerprint,
    the one of the ``known`` keys it belongs to (a filter copied from a listing)."""
    if not is_masked(wanted):
        return wanted
    for key in known:
        if key is not None and mask(key) == wanted:
            return key
    return wanted
