"""The stored body format: what goes in comes back out, byte for byte where it matters."""

from __future__ import annotations

import email.parser
import email.policy
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from emulator.bench.exchange import (
    decode_body,
    encode_body,
    rewrite,
    rewrite_path,
    rewrite_request,
)

TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=20)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)


def _stub(data: bytes, content_type: str | None, filename: str | None) -> dict[str, Any]:
    return {"bytes": len(data), "filename": filename, "raw": data.hex()}


def _unstub(stub: dict[str, Any]) -> bytes:
    return bytes.fromhex(stub["raw"])


@given(JSON)
def test_json_round_trips(value: Any) -> None:
    import json

    body = decode_body(json.dumps(value).encode(), "application/json", _stub)
    assert body == {"kind": "json", "json": value, "content_type": "application/json"}
    raw, content_type = encode_body(body, _unstub)
    assert json.loads(raw) == value
    assert content_type == "application/json"


def test_json_without_a_content_type_is_still_json() -> None:
    # The Kintsugi SDK sends JSON without a Content-Type (kintsugi-api.md §6.3).
    body = decode_body(b'{"a": 1}', None, _stub)
    assert body["kind"] == "json"
    assert encode_body(body, _unstub) == (b'{"a": 1}', None)


@given(st.lists(st.tuples(TEXT, TEXT), max_size=5))
def test_forms_round_trip(fields: list[tuple[str, str]]) -> None:
    from urllib.parse import urlencode

    kind = "application/x-www-form-urlencoded"
    body = decode_body(urlencode(fields).encode(), kind, _stub)
    if not fields:
        assert body["kind"] == "empty"
        return
    assert body["fields"] == [list(f) for f in fields]
    again = decode_body(encode_body(body, _unstub)[0], kind, _stub)
    assert again == body


@given(
    st.lists(st.tuples(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), TEXT), max_size=3),
    st.binary(max_size=64),
)
def test_multipart_round_trips_with_the_file_through_the_audio_stub(
    fields: list[tuple[str, str]], audio: bytes
) -> None:
    parts: list[dict[str, Any]] = [
        {"name": n, "filename": None, "content_type": None, "text": t} for n, t in fields
    ]
    stub = _stub(audio, "audio/wav", "a.wav")
    parts.append({"name": "file", "filename": "a.wav", "content_type": "audio/wav", "audio": stub})
    raw, content_type = encode_body(
        {"kind": "multipart", "parts": parts, "content_type": None}, _unstub
    )
    body = decode_body(raw, content_type, _stub)
    assert body["kind"] == "multipart"
    assert body["parts"] == parts
    # And it is real multipart/form-data to a standard parser.
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
    assert len(list(message.iter_parts())) == len(parts)


def test_other_bodies() -> None:
    assert decode_body(b"", "application/json", _stub) == {
        "kind": "empty",
        "content_type": "application/json",
    }
    assert decode_body(b"hello", "text/plain", _stub)["text"] == "hello"
    assert decode_body(b"\xff\xfe", None, _stub)["kind"] == "bytes"
    audio = decode_body(b"RIFF", "audio/wav", _stub)
    assert audio["kind"] == "audio"
    assert encode_body(audio, _unstub) == (b"RIFF", "audio/wav")
    raw = decode_body(b"\xff\xfe", None, _stub)
    assert encode_body(raw, _unstub) == (b"\xff\xfe", None)


def test_rewrites_replace_whole_values_and_path_segments_only() -> None:
    names = {"old": "new"}
    assert rewrite({"a": ["old", "older", {"b": "old"}]}, names) == {
        "a": ["new", "older", {"b": "new"}]
    }
    assert rewrite_path("/users/old/sessions/older", names) == "/users/new/sessions/older"
    request = {
        "method": "POST",
        "path": "/x/old",
        "query": [["id", "old"]],
        "headers": {"x-user-id": "old"},
        "body": {"kind": "form", "fields": [["session_id", "old"]], "content_type": None},
    }
    done = rewrite_request(request, names)
    assert done["path"] == "/x/new"
    assert done["query"] == [["id", "new"]]
    assert done["headers"] == {"x-user-id": "new"}
    assert done["body"]["fields"] == [["session_id", "new"]]
    assert request["path"] == "/x/old"  # the stored one is untouched
