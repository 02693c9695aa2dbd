"""emulator.core.headers.header reads what Starlette's ``request.headers.get`` would."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from starlette.datastructures import Headers

from emulator.core.headers import header

names = st.sampled_from([b"x-api-key", b"x-user-id", b"timezone", b"content-type"])
values = st.binary(max_size=20)


@given(st.lists(st.tuples(names, values), max_size=6), names)
def test_same_answer_as_starlette(raw: list[tuple[bytes, bytes]], name: bytes) -> None:
    scope = {"type": "http", "headers": raw}
    assert header(scope, name) == Headers(scope=scope).get(name.decode())


def test_a_scope_without_headers_has_none() -> None:
    assert header({"type": "http"}, b"x-api-key") is None
