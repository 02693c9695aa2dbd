"""The journal page: recent vendor requests with filters, and a live tail over SSE.

The page lists the newest requests (each row opens to its headers and a body
summary). With JavaScript, ``/journal/stream`` adds new rows as they come: a
Server-Sent Events stream that asks the control API every ``POLL_SECONDS`` for the
entries after the last one it sent (``GET /_emulator/requests?after=``), so an idle
stream costs one small in-process call per poll and a busy one sends at most
``BATCH`` rows per poll. A stream ends after ``STREAM_SECONDS`` and the browser
reconnects where it left off (``Last-Event-ID``): a shutting-down server is never
held open by a tab.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from emulator.inspector.client import ControlCallError, ControlClient
from emulator.inspector.render import Frame, render, templates, view

SHOWN: Final = 100
BATCH: Final = 25
POLL_SECONDS: Final = 0.5
STREAM_SECONDS: Final = 20.0
RETRY_MS: Final = 1000
METHODS: Final = ("GET", "POST", "PUT", "PATCH", "DELETE")


def filters(request: Request) -> dict[str, str]:
    """The filters a page or stream was asked for, as control-API parameters."""
    q = request.query_params
    found = {
        "method": q.get("method", ""),
        "path_prefix": q.get("path", "").strip(),
        "status": q.get("status", "").strip(),
        "api_key": q.get("api_key", ""),
        "faulted": q.get("faulted", ""),
    }
    return {k: v for k, v in found.items() if v}


@view
async def page(request: Request, f: Frame) -> Response:
    """The newest requests, newest first; the live tail continues from the newest."""
    wanted = filters(request)
    found = await f.client.get(
        "/_emulator/requests", params={**wanted, "detail": True, "limit": SHOWN}
    )
    stream = f.ui("/journal/stream", after=found["last_id"], **_page_params(request))
    return render(
        f,
        "journal.html",
        {
            "journal": found,
            "rows": list(reversed(found["requests"])),
            "wanted": wanted,
            "asked": _page_params(request),
            "stream": stream,
            "methods": METHODS,
        },
    )


def _page_params(request: Request) -> dict[str, str]:
    q = request.query_params
    keys = ("method", "path", "status", "api_key", "faulted")
    return {k: q[k] for k in keys if q.get(k)}


def rows_html(rows: list[dict[str, Any]]) -> str:
    macro = templates().get_template("macros.html").module.request_row  # type: ignore[attr-defined]
    return "".join(str(macro(r, None)) for r in reversed(rows))


def event(data: str, last_id: int) -> str:
    lines = "".join(f"data: {line}\n" for line in data.splitlines() or [""])
    return f"id: {last_id}\nevent: rows\n{lines}\n"


async def stream(request: Request) -> Response:
    """``text/event-stream`` of new journal rows (HTML, newest first) as they come."""
    client = ControlClient(request)
    wanted = filters(request)
    given = request.headers.get("last-event-id") or request.query_params.get("after", "0")
    after = int(given) if given.isascii() and given.isdigit() and len(given) < 19 else 0
    return StreamingResponse(
        _events(client, wanted, after),
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )


async def _events(
    client: ControlClient, wanted: dict[str, str], after: int
) -> AsyncGenerator[str, None]:
    yield f"retry: {RETRY_MS}\n: live tail of the request journal\n\n"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STREAM_SECONDS
    while loop.time() < deadline:
        try:
            found = await client.get(
                "/_emulator/requests",
                params={**wanted, "after": after, "detail": True, "limit": BATCH},
            )
        except ControlCallError as exc:
            yield f"event: problem\ndata: {exc.message}\n\n"
            return
        # The journal's newest id moves on even when the filters keep every row out.
        newest = max(after, found["last_id"])
        if found["requests"]:
            yield event(rows_html(found["requests"]), newest)
        elif newest != after:
            yield f"id: {newest}\n: nothing matching\n\n"
        after = newest
        await asyncio.sleep(POLL_SECONDS)
