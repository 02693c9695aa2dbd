"""A derived index of rows by owner (a user's sessions), kept right as rows change.

Vendors keep such indexes beside their tables (not persisted); when another emulator
process changes a row (``--state-url``), ``refile`` moves just that row's key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def refile(
    index: dict[str, list[str]],
    key: str,
    *,
    was: str | None,
    now: str | None,
    order: Callable[[str], Any],
) -> None:
    """Row ``key`` changed: owned by ``was`` before (if known), by ``now`` after (None:
    deleted). ``index`` maps each owner to its keys in ``order``."""
    if now is None:
        listed = index.get(was, []) if was is not None else []
        if key in listed:
            listed.remove(key)
        return
    listed = index.setdefault(now, [])
    if key not in listed:
        listed.append(key)
        listed.sort(key=order)
