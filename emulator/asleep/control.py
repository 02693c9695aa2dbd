"""The emulator's Asleep controls under ``/_emulator/asleep``, and the scenario list.

Not part of Asleep's API: these let a test choose what a night looks like.

* ``PUT /_emulator/asleep/users/{user_id}/profile`` ``{"profile": "insomnia"}``
  (``null`` restores the seeded default); ``GET`` shows the effective profile.
* ``PUT /_emulator/asleep/sessions/{session_id}/hypnogram``
  ``{"sleep_stages": [...], "breath_stages"?: [...], "snoring_stages"?: [...]}``
  makes an exact night the session's result; ``DELETE`` removes it.
* ``POST /_emulator/asleep/sessions/{session_id}/complete`` finishes the analysis
  of a CLOSED session now (for ``progression = manual``).
* ``POST /_emulator/asleep/users/{user_id}/nights`` ``{"callback_url": ...}`` plays
  a whole synthetic night for the user -- a real session, every epoch uploaded,
  closed, COMPLETE -- and queues all its webhooks (issue 6), for backends that only
  test the receiving side (``nights``).
* Magic input: a session created with ``service = "emulator:<profile>"``.

The tenant is named by the ``x-api-key`` header, as on the vendor API
(``control_tenant``). Errors use the control shape ``{"error", "message"}``. The
synthetic night is ``nights``; the scenario list ``control_scenarios``.
"""

from __future__ import annotations

from typing import Any, Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from emulator.asleep.control_tenant import ControlTenant, json_object, path_session, path_user
from emulator.asleep.entities import Hypnogram
from emulator.asleep.nights import night
from emulator.asleep.profiles import Profile, default_profile_for
from emulator.asleep.wiring import publish
from emulator.core.errors import ControlError

MAX_HYPNOGRAM_EPOCHS: Final = 2 * 2880  # 48 h: room for TOO_LONG_FOR_ANALYSIS


def _profile_view(t: ControlTenant, user_id: str, chosen: str | None) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "profile": chosen or default_profile_for(t.rules.seed, user_id).value,
        "source": "control" if chosen else "default",
    }


async def profile(request: Request) -> Response:
    t = ControlTenant(request)
    user = path_user(t, request)
    if request.method == "PUT":
        name = (await json_object(request)).get("profile")
        try:
            chosen = None if name is None else Profile(name)
        except ValueError:
            options = ", ".join(p.value for p in Profile)
            raise ControlError(
                f"profile must be one of {options} (or null)", error_code="invalid_profile"
            ) from None
        t.state.set_profile(user, chosen)
    return JSONResponse(_profile_view(t, user.user_id, user.profile))


def _stage_list(body: dict[str, Any], key: str, allowed: range, required: bool) -> list[int] | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if (
        not isinstance(value, list)
        or not all(isinstance(v, int) and not isinstance(v, bool) and v in allowed for v in value)
        or len(value) > MAX_HYPNOGRAM_EPOCHS
    ):
        codes = f"{allowed.start}..{allowed.stop - 1}"
        raise ControlError(
            f"{key} must be a list of at most {MAX_HYPNOGRAM_EPOCHS} integers in {codes}",
            error_code="invalid_hypnogram",
        )
    return value


async def hypnogram(request: Request) -> Response:
    t = ControlTenant(request)
    session = path_session(t, request)
    if request.method == "DELETE":
        t.state.hypnograms.delete(session.session_id)
        t.state.forget(session.session_id)
        return Response(status_code=204)
    body = await json_object(request)
    sleep = _stage_list(body, "sleep_stages", range(-1, 4), True)
    breath = _stage_list(body, "breath_stages", range(-1, 2), False)
    snoring = _stage_list(body, "snoring_stages", range(-1, 2), False)
    assert sleep is not None
    for name, other in (("breath_stages", breath), ("snoring_stages", snoring)):
        if other is not None and len(other) != len(sleep):
            raise ControlError(
                f"{name} must have as many epochs as sleep_stages", error_code="invalid_hypnogram"
            )
    t.state.inject(t.rules, t.now, session, Hypnogram.of(sleep, breath, snoring))
    return JSONResponse(
        {
            "session_id": session.session_id,
            "epochs": len(sleep),
            "state": session.state.value,
            "end_time_from_hypnogram": not session.end_explicit,
        }
    )


async def complete(request: Request) -> Response:
    t = ControlTenant(request)
    session = path_session(t, request)
    t.state.force_complete(t.rules, t.now, session)
    publish(t.rt, t.rules.tenant, t.state)
    return JSONResponse({"session_id": session.session_id, "state": session.state.value})


control_routes: list[BaseRoute] = [
    Route("/users/{user_id}/profile", profile, methods=["GET", "PUT"]),
    Route("/users/{user_id}/nights", night, methods=["POST"]),
    Route("/sessions/{session_id}/hypnogram", hypnogram, methods=["PUT", "DELETE"]),
    Route("/sessions/{session_id}/complete", complete, methods=["POST"]),
]
