"""The field-by-field comparison and the enums it takes from an OpenAPI document."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.bench.compare import compare, id_shape, timestamp_shape
from emulator.bench.spec_enums import SpecEnums
from emulator.settings import Settings


def _json(value: Any) -> dict[str, Any]:
    return {"kind": "json", "json": value, "content_type": "application/json"}


def _recorded(status: int, value: Any, **headers: str) -> dict[str, Any]:
    return {
        "status": status,
        "headers": {"content-type": "application/json", **headers},
        "body": _json(value),
    }


CT = {"content-type": "application/json"}


def _diff(recorded: dict[str, Any], status: int, value: Any, enums: Any = None) -> list[str]:
    return [str(d) for d in compare(recorded, status, CT, _json(value), enums or {})]


def test_same_answer_no_difference() -> None:
    assert _diff(_recorded(200, {"a": 1, "b": [True]}), 200, {"a": 2, "b": [False]}) == []


def test_status_keys_types_and_lengths() -> None:
    found = _diff(
        _recorded(201, {"a": 1, "b": "x", "c": [1, 2]}), 200, {"a": 1.5, "d": 0, "c": [1]}
    )
    assert found == [
        "status: recorded 201, target 200",
        "$.b: missing in the target's answer",
        "$.d: not in the recorded answer",
        "$.a: type: recorded integer, target number",
        "$.c: length: recorded 2, target 1",
    ]


def test_error_bodies_compare_values() -> None:
    recorded = _recorded(404, {"message": "nonexistent_initiation"})
    assert _diff(recorded, 404, {"message": "nonexistent_initiation"}) == []
    assert _diff(recorded, 404, {"message": "not_found"}) == [
        "$.message: value: recorded 'nonexistent_initiation', target 'not_found'"
    ]


def test_ids_and_timestamps_by_shape() -> None:
    recorded = _recorded(
        200,
        {
            "session_id": "3f2a1b4c-0000-4000-8000-123456789abc",
            "created_at": "2025-01-15T02:50:29.123Z",
        },
    )
    same = {
        "session_id": "9e8d7c6b-1111-4111-8111-abcdefabcdef",
        "created_at": "2026-12-05T19:11:25.5879Z",
    }
    assert _diff(recorded, 200, same) == []
    other = {"session_id": "20250114220000_abcde", "created_at": "2026-12-05 19:11"}
    assert _diff(recorded, 200, other) == [
        "$.created_at: timestamp shape: recorded 9999-99-99T99:99:99.FZ, target 9999-99-99 99:99",
        "$.session_id: id shape: recorded uuid, target 9_a",
    ]
    assert id_shape("G-20261205190958-HcJCYHvdoEkoewlbJkXe") == "A-9-Aa"
    assert timestamp_shape("not a time") is None


def test_pseudonyms_are_not_compared() -> None:
    assert _diff(_recorded(200, {"user_id": "redacted-user-abc"}), 200, {"user_id": "u-1"}) == []


def test_enum_values_against_the_targets_document() -> None:
    with TestClient(create_app(Settings())) as client:
        doc = client.get("/_emulator/openapi.json").json()
    spec = SpecEnums(doc)
    enums = spec.for_response("GET", "/v2/predict/sessions/abc", 200)
    assert "success" in enums[("status",)]
    recorded = _recorded(200, {"status": "processing"})
    assert _diff(recorded, 200, {"status": "success"}, enums) == []  # both listed
    unknown = _recorded(200, {"status": "queued"})
    (found,) = _diff(unknown, 200, {"status": "success"}, enums)
    assert found.startswith("$.status: enum value 'queued' is not one the target lists (")
    assert spec.template("/v2/prediction/") == "/v2/prediction/"
    assert spec.for_response("GET", "/nowhere", 200) == {}


def test_code_like_fields_without_an_enum_compare_values() -> None:
    assert _diff(_recorded(200, {"state": "OPEN"}), 200, {"state": "CLOSED"}) == [
        "$.state: value: recorded 'OPEN', target 'CLOSED'"
    ]
    assert _diff(_recorded(200, {"name": "Jane"}), 200, {"name": "John"}) == []


def test_media_type_retry_after_and_body_kind() -> None:
    recorded = _recorded(429, {"m": 1}, **{"retry-after": "5"})
    found = [
        str(d)
        for d in compare(
            recorded,
            429,
            {"content-type": "text/plain"},
            {"kind": "text", "text": "slow", "content_type": None},
            {},
        )
    ]
    assert found == [
        "content-type: recorded 'application/json', target 'text/plain'",
        "retry-after: recorded a Retry-After header, target none",
        "body: recorded json, target text",
    ]
