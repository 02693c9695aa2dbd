"""Asleep pages: a tenant's users, one user's nights, one night drawn like a sleep app.

Data comes from the browse endpoints under ``/_emulator/asleep`` and the callback log;
the charts are drawn here (``charts``) from the stage arrays the API returns.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.requests import Request
from starlette.responses import Response

from emulator.inspector import charts
from emulator.inspector.client import ControlCallError
from emulator.inspector.render import Frame, render, view

PAGE: Final = 20
ZONES: Final = (
    "UTC", "Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles",
    "Asia/Seoul", "Asia/Tokyo", "Australia/Sydney",
)  # fmt: skip
# The stat fields in groups a person reads together (seed 001 §2.1.6 order within each).
STAT_GROUPS: Final = (
    ("Timing", ("sleep_time", "wake_time", "sleep_latency", "wakeup_latency", "light_latency",
                "deep_latency", "rem_latency", "sleep_index")),
    ("Durations", ("time_in_bed", "time_in_sleep_period", "time_in_sleep", "time_in_wake",
                   "time_in_light", "time_in_deep", "time_in_rem", "sleep_efficiency")),
    ("Ratios", ("sleep_ratio", "wake_ratio", "light_ratio", "deep_ratio", "rem_ratio")),
    ("Breathing", ("breathing_pattern", "breathing_index", "time_in_stable_breath",
                   "time_in_unstable_breath", "stable_breath_ratio", "unstable_breath_ratio",
                   "unstable_breath_count")),
    ("Snoring", ("time_in_snoring", "time_in_no_snoring", "snoring_ratio", "no_snoring_ratio",
                 "snoring_count")),
    ("Wake and cycles", ("waso_count", "longest_waso", "sleep_cycle_count", "sleep_cycle",
                         "sleep_cycle_time")),
)  # fmt: skip


def _offset(request: Request) -> int:
    raw = request.query_params.get("offset", "0")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else 0


def _need_tenant(f: Frame) -> str:
    if f.tenant is None:
        raise ControlCallError(404, "no_tenant", "No tenant holds any data yet: load the demo.")
    return f.tenant


@view
async def users(request: Request, f: Frame) -> Response:
    """The tenant's users: profile, nights, last night."""
    tenant = _need_tenant(f)
    offset = _offset(request)
    found = await f.client.get(
        "/_emulator/asleep/users", params={"limit": 50, "offset": offset}, tenant=tenant
    )
    return render(f, "asleep_users.html", {"page": found, "offset": offset})


@view
async def user(request: Request, f: Frame) -> Response:
    """One user's sessions, newest first, a page at a time."""
    tenant = _need_tenant(f)
    user_id = request.path_params["user_id"]
    offset = _offset(request)
    zone = request.query_params.get("tz") or await _user_zone(f, tenant, user_id)
    found = await f.client.get(
        f"/_emulator/asleep/users/{user_id}/sessions",
        params={"limit": PAGE, "offset": offset, "timezone": zone},
        tenant=tenant,
    )
    return render(
        f,
        "asleep_user.html",
        {"page": found, "user": found["user"], "offset": offset, "zone": zone, "zones": ZONES},
    )


async def _user_zone(f: Frame, tenant: str, user_id: str) -> str:
    """The zone of the user's last session (where they sleep), else UTC."""
    found = await f.client.get(
        f"/_emulator/asleep/users/{user_id}/sessions", params={"limit": 1}, tenant=tenant
    )
    last = found["user"]["last_session"]
    return str(last["created_timezone"]) if last else "UTC"


@view
async def session(request: Request, f: Frame) -> Response:
    """One night: hypnogram, breathing, snoring, stat, peculiarities, webhooks."""
    tenant = _need_tenant(f)
    session_id = request.path_params["session_id"]
    zone = request.query_params.get("tz")
    if not zone:
        first = await f.client.get(f"/_emulator/asleep/sessions/{session_id}", tenant=tenant)
        zone = first["created_timezone"]
    night = await f.client.get(
        f"/_emulator/asleep/sessions/{session_id}", params={"timezone": zone}, tenant=tenant
    )
    deliveries = await f.client.get(
        "/_emulator/callbacks",
        params={"session_id": session_id, "api_key": tenant, "brief": True, "limit": 50},
    )
    return render(
        f,
        "asleep_session.html",
        {
            "night": night,
            "zone": zone,
            "zones": ZONES,
            "charts": night_charts(night, zone),
            "groups": STAT_GROUPS,
            "deliveries": list(reversed(deliveries["callbacks"])),
        },
    )


def night_charts(night: dict[str, Any], zone: str) -> dict[str, str]:
    """The SVG charts of a night (none when the stage arrays are null)."""
    stages = night["sleep_stages"]
    if not stages:
        return {}
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    start = datetime.fromisoformat(night["start_time"]).astimezone(tz)
    step = night["epoch_seconds"]
    drawn = {
        "hypnogram": charts.hypnogram_svg(
            stages, start, epoch_seconds=step, four_stage=night["four_stage"]
        )
    }
    if night["breath_stages"]:
        drawn["breathing"] = charts.breathing_svg(night["breath_stages"], start, epoch_seconds=step)
    if night["snoring_stages"]:
        drawn["snoring"] = charts.snoring_svg(night["snoring_stages"], start, epoch_seconds=step)
    return drawn
