"""Asleep identifiers: how user and session ids are minted and recognised.

Shapes from the documented examples (asleep-api.md §1.5, INFERRED patterns):

* user ``G-20250115025029-vLErWBfQNtnfvgDccFOQ``: ``G-`` + creation instant in UTC
  (``YYYYMMDDhhmmss``) + ``-`` + 20 mixed-case letters;
* session ``20250115025029_fvivn``: session start in UTC + ``_`` + 5 lowercase
  alphanumerics. Older sessions had no suffix (``20230630224117``), so a bare stamp
  is still a well-formed id (it just never exists here).

Random parts come from ``emulator.core.randomness.token`` keyed by the seed, the tenant
and a persisted per-namespace counter, so ids repeat across runs with the same seed
and requests, and two users created in the same second still differ.
"""

from __future__ import annotations

import re

from emulator.asleep.timefmt import compact_utc
from emulator.core.randomness import LETTERS, LOWER_ALNUM, token

USER_ID = re.compile(r"G-\d{14}-[A-Za-z]{20}")
SESSION_ID = re.compile(r"\d{14}(?:_[a-z0-9]{5})?")


def user_id(seed: int, tenant: str, created_at: int, counter: int) -> str:
    suffix = token(seed, "asleep", tenant, "user", counter, length=20, alphabet=LETTERS)
    return f"G-{compact_utc(created_at)}-{suffix}"


def session_id(seed: int, tenant: str, start_time: int, counter: int) -> str:
    suffix = token(seed, "asleep", tenant, "session", counter, length=5, alphabet=LOWER_ALNUM)
    return f"{compact_utc(start_time)}_{suffix}"


def is_user_id(text: str) -> bool:
    return USER_ID.fullmatch(text) is not None


def is_session_id(text: str) -> bool:
    return SESSION_ID.fullmatch(text) is not None
