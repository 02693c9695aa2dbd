"""Determinism: every random choice is a pure function of the seed and what it is for.

There is no process-global random stream (moto's ``MotoRandom`` made results depend
on the order of unrelated calls). Instead each consumer names what it is deriving
(``derive(seed, "kintsugi", tenant, "session", 3)``) and gets the same value on every
run, machine and Python version: the parts are hashed with BLAKE2b, never ``hash()``.
"""

from __future__ import annotations

import hashlib
import random
import string

Part = str | int | bytes

LOWER_ALNUM = string.ascii_lowercase + string.digits
LETTERS = string.ascii_letters


def digest(seed: int, *parts: Part) -> bytes:
    """A 32-byte digest of the seed and the parts, unambiguous about part boundaries."""
    h = hashlib.blake2b(digest_size=32)
    for part in (seed, *parts):
        raw = part if isinstance(part, bytes) else repr(part).encode()
        h.update(len(raw).to_bytes(4, "big"))
        h.update(raw)
    return h.digest()


def derive(seed: int, *parts: Part) -> int:
    """A 64-bit integer derived from the seed and the parts."""
    return int.from_bytes(digest(seed, *parts)[:8], "big")


def rng(seed: int, *parts: Part) -> random.Random:
    """An independent ``random.Random`` stream for one purpose."""
    return random.Random(derive(seed, *parts))


def token(seed: int, *parts: Part, length: int, alphabet: str = LOWER_ALNUM) -> str:
    """A reproducible random string, e.g. the ``_fvivn`` suffix of an Asleep session id."""
    stream = rng(seed, *parts)
    return "".join(stream.choice(alphabet) for _ in range(length))
