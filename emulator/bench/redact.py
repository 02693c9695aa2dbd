"""What a recording keeps of a real exchange: no API keys, no user ids, no audio.

* API keys (the ``X-API-Key`` header) become ``redacted-key-<12 hex>`` and user ids
  (``user_id`` fields of requests and of successful answers, the ``X-User-Id`` header,
  the path segment after ``users``) become ``redacted-user-<12 hex>``: an HMAC-SHA-256
  under a key made for this recording run and never stored, so one value always gets
  the same pseudonym within the run (a replay keeps a user's requests together) but
  nobody can test a guess against the recording. Every other occurrence of such a value (in paths,
  queries, headers, bodies) is replaced too.
* Audio (a body or a multipart part with a file name or an ``audio/*`` or
  ``application/octet-stream`` type) becomes a stub: its SHA-256, size and format
  (container, sample rate, channels, bits, duration, or an ``.npy`` shape), from
  which ``emulator.bench.standin`` makes a stand-in of the same format for the replay.
  ``keep_audio`` stores the bytes as well, for replays whose answers depend on the
  recording's content.
* Headers: only those the vendor APIs read are kept (``x-api-key``, ``x-user-id``,
  ``timezone``, ``accept``, ``content-type`` on requests; ``content-type`` and
  ``retry-after`` on responses); cookies and authorization never are.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from itertools import pairwise
from typing import Any, Final

from emulator.audio import inspect_audio
from emulator.bench.exchange import Body, decode_body, json_of, rewrite, rewrite_path

REQUEST_HEADERS: Final = ("x-api-key", "x-user-id", "timezone", "accept", "content-type")
RESPONSE_HEADERS: Final = ("content-type", "retry-after")
PREFIX: Final = "redacted-"


def is_pseudonym(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


class Redactor:
    """Pseudonymises keys and user ids and stubs audio, consistently for one run."""

    def __init__(self, *, keep_audio: bool = False, secret: bytes | None = None) -> None:
        self.keep_audio = keep_audio
        self._secret = secret or secrets.token_bytes(32)
        self.names: dict[str, str] = {}  # original -> pseudonym

    def _learn(self, value: Any, kind: str) -> None:
        if isinstance(value, str) and value and not is_pseudonym(value):
            digest = hmac.new(self._secret, value.encode(), hashlib.sha256).hexdigest()
            self.names.setdefault(value, f"{PREFIX}{kind}-{digest[:12]}")

    def audio_stub(
        self, data: bytes, content_type: str | None, filename: str | None
    ) -> dict[str, Any]:
        info = inspect_audio(data)
        stub: dict[str, Any] = {
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
            "container": info.container.value,
            "encoding": info.encoding.value if info.encoding else None,
            "sample_rate": info.sample_rate,
            "channels": info.channels,
            "bits_per_sample": info.bits_per_sample,
            "duration_seconds": info.duration_seconds,
        }
        if info.npy is not None:
            stub["npy"] = {"descr": info.npy.descr, "shape": list(info.npy.shape)}
        if self.keep_audio:
            stub["base64"] = base64.b64encode(data).decode("ascii")
        return stub

    def request(
        self,
        method: str,
        path: str,
        query: Iterable[tuple[str, str]],
        headers: Mapping[str, str],
        body: bytes,
    ) -> dict[str, Any]:
        kept = {k: v for k, v in headers.items() if k in REQUEST_HEADERS}
        self._learn(kept.get("x-api-key"), "key")
        self._learn(kept.get("x-user-id"), "user")
        segments = path.split("/")
        for before, segment in pairwise(segments):
            if before == "users":
                self._learn(segment, "user")
        decoded = decode_body(body, kept.get("content-type"), self.audio_stub)
        for value in _user_ids(decoded):
            self._learn(value, "user")
        return {
            "method": method,
            "path": rewrite_path(path, self.names),
            "query": [[k, self.names.get(v, v)] for k, v in query],
            "headers": {k: self.names.get(v, v) for k, v in kept.items()},
            "body": self._rewritten(decoded),
        }

    def response(self, status: int, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        kept = {k: v for k, v in headers.items() if k in RESPONSE_HEADERS}
        decoded = decode_body(body, kept.get("content-type"), self.audio_stub)
        # An error's "user_id" is a verdict on the field ("unprovided"), not an id.
        for value in _user_ids(decoded) if status < 400 else ():
            self._learn(value, "user")
        return {"status": status, "headers": kept, "body": self._rewritten(decoded)}

    def _rewritten(self, body: Body) -> Body:
        body = dict(body)
        if body["kind"] == "json":
            body["json"] = rewrite(body["json"], self.names)
        elif body["kind"] == "form":
            body["fields"] = [[k, self.names.get(v, v)] for k, v in body["fields"]]
        elif body["kind"] == "multipart":
            body["parts"] = [
                {**p, "text": self.names.get(p["text"], p["text"])} if "text" in p else p
                for p in body["parts"]
            ]
        elif body["kind"] == "text":
            body["text"] = _scrub(body["text"], self.names)
        return body


def _scrub(text: str, names: Mapping[str, str]) -> str:
    # Longest first, so a key that contains another is replaced whole.
    for original in sorted(names, key=len, reverse=True):
        text = text.replace(original, names[original])
    return text


def _user_ids(body: Body) -> list[str]:
    """Every ``user_id`` value a body carries (JSON at any depth, form, multipart)."""
    found: list[str] = []
    if body["kind"] == "form":
        found += [v for k, v in body["fields"] if k == "user_id"]
    elif body["kind"] == "multipart":
        found += [p["text"] for p in body["parts"] if p.get("name") == "user_id" and "text" in p]
    stack = [json_of(body)]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            found += [v for k, v in value.items() if k == "user_id" and isinstance(v, str)]
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return found
