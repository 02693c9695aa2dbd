"""Recorded exchanges: how a request or response body is stored and rebuilt.

A recording directory holds one JSON file per exchange, ``000001.json`` onwards, in
the order requests arrived (``recording.json`` says what was recorded from)::

    {"step": 1,
     "request": {"method", "path", "query": [[name, value], ...],
                 "headers": {name: value}, "body": BODY},
     "response": {"status", "headers": {name: value}, "body": BODY}}

A BODY is what the bytes were, decoded as far as the drift report needs:
``{"kind": "empty"}``, ``{"kind": "json", "json": ...}``, ``{"kind": "form",
"fields": [[name, value], ...]}``, ``{"kind": "multipart", "parts": [PART, ...]}``,
``{"kind": "text", "text"}``, ``{"kind": "audio", "audio": STUB}`` or ``{"kind":
"bytes", "base64"}``, each with the ``content_type`` it came with (None when none was
sent). A PART is ``{"name", "filename", "content_type"}`` plus ``"text"``, ``"audio"``
or ``"base64"``. An audio STUB replaces the recording (``emulator.bench.redact``):
its SHA-256, size and format; with ``--keep-audio`` it also holds the bytes.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import json
import secrets
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode

Body = dict[str, Any]
AudioStubber = Callable[[bytes, str | None, str | None], dict[str, Any]]
AudioMaker = Callable[[dict[str, Any]], bytes]

AUDIO_TYPES: Final = ("audio/", "application/octet-stream")
TEXT_TYPES: Final = ("text/", "application/xml", "application/problem+xml")


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _is_audio(content_type: str | None, filename: str | None) -> bool:
    return filename is not None or media_type(content_type).startswith(AUDIO_TYPES)


def decode_body(raw: bytes, content_type: str | None, audio: AudioStubber) -> Body:
    """What ``raw`` is; audio goes through ``audio`` (which redacts or keeps it)."""
    kind = media_type(content_type)
    body: Body
    if not raw:
        body = {"kind": "empty"}
    elif kind == "multipart/form-data":
        body = {"kind": "multipart", "parts": _parts(raw, content_type or "", audio)}
    elif kind == "application/x-www-form-urlencoded":
        fields = parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
        body = {"kind": "form", "fields": [list(f) for f in fields]}
    elif _is_audio(content_type, None):
        body = {"kind": "audio", "audio": audio(raw, content_type, None)}
    else:
        body = _json_or_text(raw, kind)
    body["content_type"] = content_type
    return body


def _json_or_text(raw: bytes, kind: str) -> Body:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return {"kind": "bytes", "base64": base64.b64encode(raw).decode("ascii")}
    # JSON whatever the Content-Type says: the Kintsugi SDK sends none (kintsugi-api.md §6.3).
    if not kind.startswith(TEXT_TYPES):
        try:
            return {"kind": "json", "json": json.loads(text)}
        except ValueError:
            pass
    return {"kind": "text", "text": text}


def _parts(raw: bytes, content_type: str, audio: AudioStubber) -> list[dict[str, Any]]:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
    parts: list[dict[str, Any]] = []
    for part in message.iter_parts() if message.is_multipart() else ():
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        name, filename = part.get_param("name", header="content-disposition"), part.get_filename()
        ctype = part.get("content-type")
        entry: dict[str, Any] = {
            "name": name if isinstance(name, str) else None,
            "filename": filename,
            "content_type": None if ctype is None else str(ctype),
        }
        if _is_audio(entry["content_type"], filename):
            entry["audio"] = audio(data, entry["content_type"], filename)
        else:
            try:
                entry["text"] = data.decode("utf-8")
            except UnicodeDecodeError:
                entry["base64"] = base64.b64encode(data).decode("ascii")
        parts.append(entry)
    return parts


def encode_body(body: Body, make_audio: AudioMaker) -> tuple[bytes, str | None]:
    """The bytes and Content-Type to send for a stored body (``make_audio`` turns an
    audio stub back into bytes)."""
    kind, content_type = body["kind"], body.get("content_type")
    if kind == "empty":
        return b"", content_type
    if kind == "json":
        return json.dumps(body["json"]).encode(), content_type
    if kind == "form":
        return urlencode([tuple(f) for f in body["fields"]]).encode(), content_type
    if kind == "text":
        return str(body["text"]).encode(), content_type
    if kind == "audio":
        return make_audio(body["audio"]), content_type
    if kind == "multipart":
        return _multipart(body["parts"], make_audio)
    return base64.b64decode(body["base64"]), content_type


def _multipart(parts: list[dict[str, Any]], make_audio: AudioMaker) -> tuple[bytes, str]:
    boundary = "replay-" + secrets.token_hex(12)
    out = bytearray()
    for part in parts:
        disposition = f'form-data; name="{part["name"]}"'
        if part.get("filename") is not None:
            disposition += f'; filename="{part["filename"]}"'
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if part.get("content_type"):
            out += f"Content-Type: {part['content_type']}\r\n".encode()
        out += b"\r\n"
        if "audio" in part:
            out += make_audio(part["audio"])
        elif "text" in part:
            out += str(part["text"]).encode()
        else:
            out += base64.b64decode(part["base64"])
        out += b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def json_of(body: Body) -> Any:
    """The JSON value of a stored body, or None."""
    return body.get("json") if body.get("kind") == "json" else None


def rewrite(value: Any, names: dict[str, str]) -> Any:
    """``value`` with every string equal to a key of ``names`` replaced (recursively)."""
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, list):
        return [rewrite(v, names) for v in value]
    if isinstance(value, dict):
        return {k: rewrite(v, names) for k, v in value.items()}
    return value


def rewrite_path(path: str, names: dict[str, str]) -> str:
    return "/".join(names.get(segment, segment) for segment in path.split("/"))


def rewrite_request(request: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """A stored request with ``names`` substituted in its path segments, query values,
    header values and body values (JSON strings, form fields, multipart text parts)."""
    if not names:
        return request
    body = dict(request["body"])
    if body["kind"] == "json":
        body["json"] = rewrite(body["json"], names)
    elif body["kind"] == "form":
        body["fields"] = [[k, names.get(v, v)] for k, v in body["fields"]]
    elif body["kind"] == "multipart":
        body["parts"] = [
            {**p, "text": names.get(p["text"], p["text"])} if "text" in p else p
            for p in body["parts"]
        ]
    return {
        **request,
        "path": rewrite_path(request["path"], names),
        "query": [[k, names.get(v, v)] for k, v in request["query"]],
        "headers": {k: names.get(v, v) for k, v in request["headers"].items()},
        "body": body,
    }
