"""Where table rows are kept between runs: the ``Backend`` protocol and the memory one.

A backend sees rows as ``(tenant, table, key, JSON)`` and a few world facts (``meta``);
``emulator.core.sqlite`` keeps them in a file (``--state-file``), ``MemoryBackend``
keeps nothing (the default), the shared Redis world is ``emulator.core.shared.db``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Protocol

Json = dict[str, Any]

Row = tuple[str, str, str, Json]  # tenant, table, key, value


class BackendError(RuntimeError):
    """A write the backend could not make (a full disk, a lost server).

    The request answers 503 and ``Store.reload(tenant)`` puts memory back to what
    storage holds, so nothing shows that was not kept. ``tenant``: whose write it was
    (None: a world-wide write).
    """

    def __init__(self, message: str, tenant: str | None) -> None:
        super().__init__(message)
        self.tenant = tenant


class Backend(Protocol):
    """Where table rows are kept between runs.

    ``load`` yields rows in the order they were first put (a re-put keeps its place),
    because tables are ordered and list endpoints answer in that order. ``meta`` is a
    small key -> JSON map for world facts that are not rows (the seed, the clock).
    """

    persistent: bool

    def put(self, tenant: str, table: str, key: str, value: Json) -> None: ...

    def delete(self, tenant: str, table: str, key: str) -> None: ...

    def clear(self, tenant: str | None) -> None: ...

    def replace(
        self, rows: Iterable[Row], meta: Mapping[str, Json], tenant: str | None = None
    ) -> None:
        """Atomically: drop every row (or one tenant's), write ``rows``, set ``meta``."""
        ...

    def load(self, tenant: str | None = None) -> Iterator[Row]:
        """Every row (or one tenant's), in first-put order."""
        ...

    def get_meta(self, key: str) -> Json | None: ...

    def put_meta(self, key: str, value: Json) -> None: ...

    def close(self) -> None: ...


class MemoryBackend:
    """Keeps nothing: state lives and dies with the process (the default)."""

    persistent = False

    def put(self, tenant: str, table: str, key: str, value: Json) -> None:
        return None

    def delete(self, tenant: str, table: str, key: str) -> None:
        return None

    def clear(self, tenant: str | None) -> None:
        return None

    def replace(
        self, rows: Iterable[Row], meta: Mapping[str, Json], tenant: str | None = None
    ) -> None:
        return None

    def load(self, tenant: str | None = None) -> Iterator[Row]:
        return iter(())

    def get_meta(self, key: str) -> Json | None:
        return None

    def put_meta(self, key: str, value: Json) -> None:
        return None

    def close(self) -> None:
        return None
