"""Masked credentials (emulator.core.secrets)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from emulator.core.secrets import mask, mask_header, masked_headers


@given(st.text(min_size=1, max_size=200))
def test_a_masked_key_never_holds_more_than_a_third_of_it(key: str) -> None:
    masked = mask(key)
    prefix, _, digest = masked.partition("…")
    assert key.startswith(prefix)
    assert len(prefix) <= min(4, len(key) // 3)
    assert len(digest) == 4
    assert mask(key) == masked


def test_keys_with_one_prefix_still_differ() -> None:
    assert mask("team-a-key-1") != mask("team-a-key-2")
    assert mask("demo-key").startswith("de…")


def test_credentials_in_headers_are_masked_and_the_rest_kept() -> None:
    assert mask_header("Authorization", "Bearer s3cr3t-token").startswith("Bearer s3cr…")
    assert "s3cr3t-token" not in mask_header("authorization", "Bearer s3cr3t-token")
    assert mask_header("content-type", "application/json") == "application/json"
    pairs = masked_headers([(b"x-api-key", b"abcdefghij"), (b"Host", b"h")])
    assert pairs == [["x-api-key", mask("abcdefghij")], ["host", "h"]]
