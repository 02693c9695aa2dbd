"""Masked credentials (emulator.core.secrets)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from emulator.core.secrets import (
    is_masked,
    key_matches,
    mask,
    mask_header,
    mask_query,
    masked_headers,
    resolve,
)


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


_KEYS = st.text(min_size=1, max_size=60).filter(lambda k: "…" not in k)


@given(key=_KEYS)
def test_a_mask_never_holds_most_of_the_key(key: str) -> None:
    shown = mask(key)
    prefix = shown.split("…")[0]
    assert len(prefix) <= min(4, len(key) // 3)
    assert key.startswith(prefix)
    assert is_masked(shown)
    assert key_matches(key, shown)
    assert key_matches(key, key)


@given(a=_KEYS, b=_KEYS)
def test_a_filter_matches_its_own_key(a: str, b: str) -> None:
    assert key_matches(a, b) == (a == b or mask(a) == b)
    assert resolve(mask(a), [b, a]) in (a, b)  # b only when it shares a's fingerprint
    assert resolve(a, [b]) == a


def test_examples() -> None:
    assert mask("team-alpha-key") == "team…" + mask("team-alpha-key")[-4:]
    assert mask("k").startswith("…")
    assert not key_matches(None, "x")
    assert not is_masked("team-a")


def test_query_strings_lose_their_credentials() -> None:
    assert mask_query("api_key=team-a&limit=3") == f"api_key={mask('team-a')}&limit=3"
    assert mask_query("token=a%20b") == f"token={mask('a b')}"
    assert mask_query("X-Api-Key=k&sessionToken=t&x=1") == (
        f"X-Api-Key={mask('k')}&sessionToken={mask('t')}&x=1"
    )
    assert mask_query("limit=3&api_key=") == "limit=3&api_key="
    assert mask_query("plain") == "plain"
