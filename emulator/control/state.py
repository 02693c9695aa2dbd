"""State snapshots under ``/_emulator/state``: save the world (or one tenant's part of
it) as one JSON document, and load it back.

``PUT`` takes documents of up to ``state_max_bytes`` (256 MiB by default) without
stalling other requests: the body's chunks are never joined, parsing
(``jsonin.loads_in_pieces``), checking and writing the rows happen in a worker thread,
and only the final swap runs on the event loop (docs/security.md, Bounded resources).
"""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import Iterator
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from emulator.control.endpoints import check_clock_range
from emulator.core import jsonin
from emulator.core.clock import parse_instant
from emulator.core.control_tenant import named_tenant
from emulator.core.errors import ControlError
from emulator.core.runtime import runtime
from emulator.core.secrets import mask, masked


async def get_state(request: Request) -> Response:
    api_key = named_tenant(request)
    return JSONResponse(runtime(request).snapshot(api_key))


async def put_state(request: Request) -> Response:
    """Load a snapshot. Parsing, checking and writing the rows happen in a worker thread
    (``jsonin.loads_in_pieces`` never holds the interpreter long; the body's chunks are
    never even joined), so a 100 MB document does not stall other requests; only the
    final swap runs on the event loop."""
    api_key = named_tenant(request)
    chunks = [chunk async for chunk in request.stream() if chunk]
    rt = runtime(request)
    with _collector_paused(sum(map(len, chunks))):
        document = await run_in_threadpool(_parse_state, chunks)
        del chunks
        clock = document.get("clock") if isinstance(document, dict) and api_key is None else None
        if isinstance(clock, dict) and isinstance(clock.get("now"), str):
            # A malformed instant is left for rt.prepare_restore, which names it.
            with contextlib.suppress(ValueError, OverflowError):
                check_clock_range(parse_instant(clock["now"]).timestamp())
        try:
            plan = await run_in_threadpool(rt.prepare_restore, document, api_key, owned=True)
        except ValueError as exc:
            raise ControlError(f"state document rejected: {exc}") from None
        await run_in_threadpool(rt.store.write_restore, plan.store)
        rt.finish_restore(plan)
    restored = plan.store.tenants
    return JSONResponse(
        {
            "restored": "all" if api_key is None else "tenant",
            "api_key": masked(api_key),
            "tenants": sorted(
                mask(name) for name, tables in restored.items() if any(tables.values())
            ),
            "rows": len(plan.store.rows),
            "seed": rt.store.seed,
        }
    )


def _parse_state(chunks: list[bytes]) -> Any:
    if all(not chunk.strip() for chunk in chunks):  # stops at the first non-blank chunk
        raise ControlError("this endpoint needs a JSON body")
    try:
        return jsonin.loads_in_pieces(chunks, split_depth=4)
    except jsonin.JsonInputError as exc:
        raise ControlError(f"body is not valid JSON: {exc}") from None


# A document this large is restored without the cyclic garbage collector (see below).
_LARGE_DOCUMENT = 8 * 1024 * 1024
_SWITCH_INTERVAL = 0.001


@contextlib.contextmanager
def _collector_paused(size: int) -> Iterator[None]:
    """Keep Python's cyclic collector from walking a large document while it is built.

    A full collection visits every element of every list it tracks: with a 100 MB
    snapshot (tens of millions of elements) one pass holds the interpreter for half a
    second, and the worker thread building the document triggers passes as it goes,
    each a stall of the event loop. So the collector waits until the document is in
    place, which is then frozen (``gc.freeze``): a parsed snapshot holds no cycles,
    refcounting frees it when it is replaced, and later collections need not walk it.
    """
    if size < _LARGE_DOCUMENT or not gc.isenabled():
        yield
        return
    gc.disable()
    # The worker thread hands the interpreter back every millisecond instead of every
    # five, so the event loop waits that much less each time it needs it.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, _SWITCH_INTERVAL))
    try:
        yield
    finally:
        sys.setswitchinterval(interval)
        gc.freeze()
        gc.enable()


routes: list[BaseRoute] = [
    Route("/state", get_state, methods=["GET"]),
    Route("/state", put_state, methods=["PUT"]),
]
