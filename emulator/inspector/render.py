"""Rendering for the inspector: the templates, their filters, and the frame of every page.

``view`` wraps a page handler: it builds the ``Frame`` every page shares (the tenant
shown, the other tenants for the picker, the virtual clock, link building), renders
the template, and turns a refusal of the control API into an error page with the
same status and the API's own message. Each page says how long the server took in a
``Server-Timing`` header (what the benchmark and a browser's devtools read).

Actions (forms that change something) post to the inspector, which calls the control
API and redirects back (POST, redirect, GET: a reload never repeats an action). The
outcome travels in a short-lived cookie (``flash``) with the equivalent ``curl`` line.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from emulator import __version__
from emulator.core.secrets import mask
from emulator.inspector.client import ControlCallError, ControlClient

if TYPE_CHECKING:
    from starlette.templating import Jinja2Templates

PREFIX: Final = "/_emulator/ui"
FLASH_COOKIE: Final = "inspector_flash"
HERE: Final = Path(__file__).parent
Handler = Callable[[Request, "Frame"], Awaitable[Response]]


@dataclass
class Frame:
    """What every page knows: who asks (client), which tenant it shows, the clock."""

    request: Request
    client: ControlClient
    tenant: str | None
    tenants: list[dict[str, Any]]
    clock: dict[str, Any]
    started: float = field(default_factory=time.perf_counter)

    def ui(self, path: str = "/", /, **params: Any) -> str:
        """A link to an inspector page, keeping the tenant shown."""
        query = {"tenant": self.tenant, **params}
        text = urlencode({k: v for k, v in query.items() if v not in (None, "")})
        return f"{PREFIX}{path}" + (f"?{text}" if text else "")

    @property
    def base_url(self) -> str:
        return str(self.request.base_url).rstrip("/")


def _datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def when(value: str | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    found = _datetime(value)
    return "—" if found is None else found.strftime(fmt)


def when_in(value: str | None, zone: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An instant as the clock in ``zone`` shows it (UTC when the zone is unknown)."""
    found = _datetime(value)
    if found is None:
        return "—"
    try:
        return found.astimezone(ZoneInfo(zone)).strftime(fmt)
    except (ZoneInfoNotFoundError, ValueError):
        return found.strftime(fmt) + " UTC"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min" + (f" {secs} s" if secs else "")


def percent(ratio: float | None) -> str:
    return "—" if ratio is None else f"{ratio * 100:.0f} %"


# Words a person reads in capitals (sleep and questionnaire acronyms).
ACRONYMS: Final = {"rem": "REM", "waso": "WASO", "phq": "PHQ", "gad": "GAD", "api": "API"}


def pretty(label: Any) -> str:
    """``mild_to_moderate`` -> ``Mild to moderate``; ``rem_latency`` -> ``REM latency``."""
    words = str(label).replace("_", " ").strip().lower().split(" ")
    words = [ACRONYMS.get(w, w) for w in words]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def url_path(url: str) -> str:
    """The path and query of a URL (the host is the same everywhere in a demo)."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def stat_value(value: Any, unit: str) -> str:
    """A stat field as a person reads it, by its unit (``STAT_UNITS`` of the API)."""
    if value is None:
        return "null"
    if unit == "seconds":
        return duration(value)
    if unit == "ratio":
        return percent(value)
    if unit == "instant":
        return when(value, "%H:%M:%S")
    if unit == "instants":
        return ", ".join(when(v, "%H:%M") for v in value) or "none"
    if unit == "per_hour":
        return f"{value:g} per hour"
    if unit == "label":
        return pretty(value)
    return str(value)


UNIT_TEXT: Final = {
    "seconds": "s",
    "ratio": "fraction of 1",
    "instant": "time",
    "instants": "times",
    "per_hour": "events / h",
    "score": "50 to 100",
    "count": "count",
    "label": "label",
}
TONES: Final = {
    "good": {"COMPLETE", "delivered", "success", "2xx", "control"},
    "warn": {"CLOSED", "pending", "delivering", "processing", "initiated", "3xx", "4xx"},
    "bad": {"failed", "abandoned", "5xx", "0xx", "no_consent"},
    "info": {"OPEN"},
}


def tone(value: Any) -> str:
    """The badge colour of a state or an HTTP status."""
    text = str(value)
    if text.isdigit():
        text = f"{text[0]}xx"
    for name, members in TONES.items():
        if text in members:
            return name
    return "neutral"


@cache
def templates() -> Jinja2Templates:
    """The page templates, made on the first page drawn: Jinja2 costs start-up time
    (about 30 ms of imports) that an emulator nobody looks at should not pay."""
    from starlette.templating import Jinja2Templates

    found = Jinja2Templates(directory=HERE / "templates")
    env = found.env
    env.trim_blocks = True
    env.lstrip_blocks = True
    env.filters.update(
        when=when,
        when_in=when_in,
        duration=duration,
        percent=percent,
        pretty=pretty,
        stat_value=stat_value,
        tone=tone,
        mask=mask,
        url_path=url_path,
        tojson_pretty=lambda v: json.dumps(v, indent=2, ensure_ascii=False),
    )
    env.globals.update(version=__version__, unit_text=UNIT_TEXT, prefix=PREFIX)
    return found


async def frame_of(request: Request) -> Frame:
    client = ControlClient(request)
    overview = await client.get("/_emulator/overview", params={"limit": 200})
    tenants: list[dict[str, Any]] = overview["tenants"]
    keys = [t["api_key"] for t in tenants]
    chosen = request.query_params.get("tenant") or None
    if chosen is None and keys:
        chosen = "demo-key" if "demo-key" in keys else keys[0]
    return Frame(request, client, chosen, tenants, overview["clock"])


def render(frame: Frame, template: str, context: dict[str, Any], status: int = 200) -> Response:
    flash = _flash(frame.request)
    response = templates().TemplateResponse(
        frame.request,
        template,
        {"f": frame, "flash": flash, **context},
        status_code=status,
    )
    elapsed = (time.perf_counter() - frame.started) * 1000
    response.headers["server-timing"] = f"app;dur={elapsed:.1f}"
    response.headers["cache-control"] = "no-store"
    if flash is not None:
        response.delete_cookie(FLASH_COOKIE, path=PREFIX)
    return response


def view(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A page: the frame, the handler, and control-API refusals as an error page."""

    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        try:
            frame = await frame_of(request)
        except ControlCallError as exc:
            return _bare_error(request, exc)
        frame.started = started
        try:
            return await handler(request, frame)
        except ControlCallError as exc:
            return render(frame, "error.html", {"error": exc}, status=exc.status)

    endpoint.__name__ = handler.__name__
    endpoint.__doc__ = handler.__doc__
    return endpoint


def _bare_error(request: Request, exc: ControlCallError) -> Response:
    text = f"<h1>{exc.status}</h1><p>{exc.message}</p>"
    return HTMLResponse(f"<!doctype html><title>Inspector</title>{text}", status_code=exc.status)


# --------------------------------------------------------------------------- actions


def back(
    request: Request, target: str, *, ok: bool, message: str, curl: str | None = None
) -> Response:
    """Redirect (303) to ``target`` with the outcome for the next page to show."""
    response = RedirectResponse(target, status_code=303)
    note = {"ok": ok, "message": message[:600], "curl": (curl or "")[:2000]}
    response.set_cookie(
        FLASH_COOKIE, json.dumps(note), max_age=60, path=PREFIX, httponly=True, samesite="strict"
    )
    return response


def _flash(request: Request) -> dict[str, Any] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        found = json.loads(raw)
    except ValueError:
        return None
    return found if isinstance(found, dict) else None
