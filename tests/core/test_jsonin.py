"""Client JSON (``emulator.core.jsonin``): the same values as ``json``, hostile input refused."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.core.jsonin import JsonInputError, loads, loads_in_pieces, text_depth

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**30), 10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=30,
)


@given(value=_VALUES, indent=st.sampled_from([None, 0, 2]), split=st.integers(0, 5))
def test_both_parsers_read_what_json_writes(value: Any, indent: int | None, split: int) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=False).encode()
    assert loads(text) == json.loads(text)
    assert loads_in_pieces(text, split_depth=split) == json.loads(text)


@given(value=_VALUES)
def test_text_depth_is_the_nesting(value: Any) -> None:
    def depth(v: Any) -> int:
        if isinstance(v, dict):
            return 1 + max(map(depth, v.values()), default=0)
        if isinstance(v, list):
            return 1 + max(map(depth, v), default=0)
        return 0

    found = text_depth(json.dumps(value), 100)
    # An upper bound when few brackets are present, exact otherwise; never too low.
    assert found is not None
    assert found >= depth(value)
    assert text_depth(json.dumps(value), max(depth(value) - 1, 0)) is None or depth(value) == 0


HOSTILE = [
    (b"[" * 100_000 + b"]" * 100_000, "nested deeper"),
    (b'{"a": ' + b"9" * 100_000 + b"}", "digits"),
    (b"[NaN]", "NaN is not JSON"),
    (b"[-Infinity]", "Infinity is not JSON"),
    (b"[1e999]", "out of range"),
    (b"\xff\xfe", "not UTF-8"),
    (b'{"a": 1} trailing', "xtra data"),
    (b'{"a" 1}', "xpect"),
    (b"[" * 65 + b"]" * 65, "nested deeper than 64"),
]


@pytest.mark.parametrize(("raw", "why"), HOSTILE)
def test_hostile_input_is_one_error_with_a_reason(raw: bytes, why: str) -> None:
    for parse in (loads, lambda r: loads_in_pieces(r, split_depth=4)):
        with pytest.raises(JsonInputError, match=why):
            parse(raw)


def test_a_deep_value_below_the_split_is_refused_too() -> None:
    row = "[" * 70 + "]" * 70
    doc = f'{{"tenants": {{"k": {{"t": {{"r": {row}}}}}}}}}'.encode()
    with pytest.raises(JsonInputError, match="nested deeper"):
        loads_in_pieces(doc, split_depth=4)
    ok = f'{{"tenants": {{"k": {{"t": {{"r": {"[" * 50 + "]" * 50}}}}}}}}}'.encode()
    assert loads_in_pieces(ok, split_depth=4)["tenants"]["k"]["t"]["r"] == json.loads(
        "[" * 50 + "]" * 50
    )


def test_finite_floats_pass() -> None:
    assert loads(b"[1e308, -0.0, 5e-324]")[0] == 1e308
    assert math.copysign(1, loads(b"[-0.0]")[0]) == -1
