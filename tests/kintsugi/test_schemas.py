"""Properties of the request parsers and renderers (emulator.kintsugi.schemas)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.kintsugi.errors import UnsupportedMetadataSpec
from emulator.kintsugi.schemas import (
    ETHNICITIES,
    GENDERS,
    METADATA_FIELDS,
    RACES,
    InitiateRequest,
    parse_initiate_v1,
    parse_initiate_v2,
    timestamp,
)

KNOWN = {"user_id", "is_initiated", "metadata", *METADATA_FIELDS}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
field_names = st.sampled_from(sorted(KNOWN)) | st.text(max_size=6)


def _outcome(parse: Any, body: Any) -> InitiateRequest | dict[str, str]:
    try:
        return parse(body)  # type: ignore[no-any-return]
    except UnsupportedMetadataSpec as exc:
        context = exc.context
    assert context, "a 422 always names at least one field"
    return context


@given(st.dictionaries(field_names, json_values, max_size=6) | json_values)
def test_v2_parser_never_crashes_and_names_only_known_fields(body: Any) -> None:
    result = _outcome(parse_initiate_v2, body)
    if isinstance(result, dict):
        assert set(result) <= KNOWN
        assert set(result.values()) <= {"unprovided", "malformed"}
    else:
        assert result.user_id
        assert isinstance(result.consent, bool)
        assert set(result.metadata) <= set(METADATA_FIELDS)


@given(st.dictionaries(field_names, st.text(max_size=12), max_size=8))
def test_v1_parser_never_crashes_and_names_only_known_fields(form: dict[str, str]) -> None:
    result = _outcome(parse_initiate_v1, form)
    if isinstance(result, dict):
        assert set(result) <= KNOWN - {"metadata"}
        assert set(result.values()) <= {"unprovided", "malformed"}


def _case_variants(names: frozenset[str]) -> st.SearchStrategy[str]:
    return st.sampled_from(sorted(names)).flatmap(
        lambda n: st.sampled_from([n, n.upper(), n.title(), n.capitalize()])
    )


valid_metadata = st.fixed_dictionaries(
    {},
    optional={
        "age": st.integers(1, 120),
        "weight": st.integers(1, 600),
        "zipcode": st.from_regex(r"\A[0-9]{5}\Z"),
        "language": st.booleans(),
        "gender": _case_variants(GENDERS),
        "race": _case_variants(RACES),
        "ethnicity": _case_variants(ETHNICITIES),
    },
)


@given(
    st.text(min_size=1, max_size=20).filter(lambda t: "emu-" not in t),
    st.booleans(),
    valid_metadata,
)
def test_valid_requests_parse_to_what_was_sent(
    user_id: str, consent: bool, metadata: dict[str, Any]
) -> None:
    v2 = parse_initiate_v2({"user_id": user_id, "is_initiated": consent, "metadata": metadata})
    assert v2 == InitiateRequest(user_id, consent, metadata)
    form = {k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in metadata.items()}
    v1 = parse_initiate_v1({"user_id": user_id, "is_initiated": str(consent), **form})
    assert v1 == InitiateRequest(user_id, consent, metadata)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
def test_timestamps_are_rfc3339_utc_and_exact_to_the_microsecond(moment: datetime) -> None:
    aware = moment.replace(tzinfo=UTC)
    text = timestamp(aware.timestamp())
    assert text.endswith("Z")
    assert not text.endswith("0Z") or "." not in text  # fraction trimmed like Go's
    assert abs((datetime.fromisoformat(text) - aware).total_seconds()) < 1e-6


@pytest.mark.parametrize(
    ("ts", "text"),
    [
        (0.0, "1970-01-01T00:00:00Z"),
        (1.5, "1970-01-01T00:00:01.5Z"),
        (2.25, "1970-01-01T00:00:02.25Z"),
    ],
)
def test_timestamp_examples(ts: float, text: str) -> None:
    assert timestamp(ts) == text
