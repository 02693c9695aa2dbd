"""assert_requested's judgement and its near-miss report, on generated journals."""

from __future__ import annotations

from typing import cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.client.errors import RequestNotFound
from emulator.client.types import Delivery, JournalEntry
from emulator.client.verify import (
    NEAREST,
    Expected,
    check_requested,
    nearest,
    path_similarity,
    select,
    similarity,
)

METHODS = st.sampled_from(["GET", "POST", "PATCH", "DELETE"])
SEGMENTS = st.sampled_from(["v1", "v2", "ai", "initiate", "predict", "users", "u1", "sessions"])
PATHS = st.lists(SEGMENTS, min_size=1, max_size=4).map(lambda parts: "/" + "/".join(parts))
KEYS = st.sampled_from(["k1", "k2", None])


def entry(i: int, method: str, path: str, api_key: str | None) -> JournalEntry:
    return JournalEntry(
        id=i,
        time="2025-01-15T02:50:29+00:00",
        method=method,
        path=path,
        query="",
        status=200,
        duration_ms=1.0,
        api_key=api_key,
        vendor="kintsugi",
        fault=None,
    )


JOURNALS = st.lists(st.tuples(METHODS, PATHS, KEYS), max_size=12).map(
    lambda rows: [entry(i + 1, *row) for i, row in enumerate(rows)]
)
EXPECTED = st.builds(Expected, METHODS, PATHS, st.sampled_from(["k1", None]), st.none())


@given(JOURNALS, EXPECTED)
def test_it_passes_exactly_when_a_request_matches(
    journal: list[JournalEntry], expected: Expected
) -> None:
    matching = [e for e in journal if expected.matches(e)]
    if matching:
        assert check_requested(expected, journal) == matching
    else:
        with pytest.raises(RequestNotFound) as caught:
            check_requested(expected, journal)
        assert str(caught.value).splitlines()[0] == f"Expected {expected.describe()}."


@given(JOURNALS, EXPECTED)
def test_the_report_lists_the_nearest_first(
    journal: list[JournalEntry], expected: Expected
) -> None:
    ranked = nearest(expected, journal)
    assert len(ranked) == min(NEAREST, len(journal))
    scores = [similarity(expected, e) for e in ranked]
    assert scores == sorted(scores, reverse=True)
    left_out = [e for e in journal if e not in ranked]
    assert all(similarity(expected, e) <= min(scores) for e in left_out)


@given(JOURNALS, EXPECTED, st.integers(min_value=0, max_value=3))
def test_a_count_is_exact(journal: list[JournalEntry], expected: Expected, count: int) -> None:
    counted = Expected(expected.method, expected.path, expected.api_key, count)
    matching = [e for e in journal if counted.matches(e)]
    if len(matching) == count:
        assert check_requested(counted, journal) == matching
    else:
        with pytest.raises(RequestNotFound):
            check_requested(counted, journal)


@given(PATHS, PATHS)
def test_path_similarity_is_one_only_for_a_match(a: str, b: str) -> None:
    assert 0.0 <= path_similarity(a, b) <= 1.0
    assert (path_similarity(a, b) == 1.0) == (a == b)


def test_a_pattern_matches_and_a_near_path_is_nearer_than_a_far_one() -> None:
    assert path_similarity("/v2/predict/*", "/v2/predict/sessions/abc") == 1.0
    near = path_similarity("/v2/prediction/", "/v2/prediction")
    far = path_similarity("/v2/prediction/", "/ai/v1/users")
    assert near > far


def _delivery(event: str, status: str) -> Delivery:
    partial = {"id": "d", "event": event, "status": status}  # all select() reads
    return cast(Delivery, partial)


def test_select_filters_by_event_status_and_predicate() -> None:
    log = [_delivery("A", "delivered"), _delivery("B", "failed"), _delivery("A", "failed")]
    assert len(select(log, event="A", status=None, predicate=None)) == 2
    assert len(select(log, event=None, status="failed", predicate=None)) == 2
    only = select(log, event=None, status=None, predicate=lambda d: d["event"] == "B")
    assert [d["event"] for d in only] == ["B"]
