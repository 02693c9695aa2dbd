"""Kintsugi pages: a tenant's sessions, and one session with its prediction and feedback."""

from __future__ import annotations

from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response

from emulator.inspector.asleep import _need_tenant, _offset
from emulator.inspector.render import Frame, render, view

PAGE: Final = 25
# Label scales, mildest first (kintsugi-api.md §4.9), to draw where a label sits.
SCALES: Final[dict[str, tuple[str, ...]]] = {
    "depression/severity": ("no_to_mild", "mild_to_moderate", "moderate_to_severe"),
    "depression/binary": ("false", "additional_consideration_required", "true"),
    "anxiety/severity": ("no_or_minimal", "mild", "moderate", "severe"),
}
# Questionnaire totals and their usual bands (PHQ-9, GAD-7, PHQ-2 scoring guides).
BANDS: Final[dict[str, tuple[tuple[int, str], ...]]] = {
    "phq_9": ((4, "minimal"), (9, "mild"), (14, "moderate"), (19, "moderately severe"),
              (27, "severe")),
    "gad_7": ((4, "minimal"), (9, "mild"), (14, "moderate"), (21, "severe")),
    "phq_2": ((2, "negative screen"), (6, "positive screen")),
}  # fmt: skip


def band(kind: str, answers: list[int]) -> str:
    total = sum(answers)
    for top, name in BANDS.get(kind, ()):
        if total <= top:
            return name
    return ""


def scale_of(category: str, granularity: str) -> tuple[str, ...]:
    key = f"{category}/{'severity' if category == 'anxiety' else granularity}"
    return SCALES.get(key, ())


@view
async def sessions(request: Request, f: Frame) -> Response:
    """The tenant's sessions, newest first."""
    tenant = _need_tenant(f)
    offset = _offset(request)
    found = await f.client.get(
        "/_emulator/kintsugi/sessions",
        params={"limit": PAGE, "offset": offset, "order": "desc"},
        tenant=tenant,
    )
    return render(f, "kintsugi_sessions.html", {"page": found, "offset": offset})


@view
async def session(request: Request, f: Frame) -> Response:
    """One session: prediction, audio verdict, feedback, and the user's other sessions."""
    tenant = _need_tenant(f)
    session_id = request.path_params["session_id"]
    found: dict[str, Any] = await f.client.get(
        f"/_emulator/kintsugi/sessions/{session_id}", tenant=tenant
    )
    others = await f.client.get(
        "/_emulator/kintsugi/sessions",
        params={"user_id": found["user_id"], "order": "desc", "limit": 20},
        tenant=tenant,
    )
    return render(
        f,
        "kintsugi_session.html",
        {"s": found, "others": others, "scale_of": scale_of, "band": band},
    )
