"""The webhooks page: the delivery log with filters, redelivery and the failure switch."""

from __future__ import annotations

from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response

from emulator.core.browser import same_origin
from emulator.inspector.asleep import _offset
from emulator.inspector.calls import Call
from emulator.inspector.client import ControlCallError, ControlClient
from emulator.inspector.render import PREFIX, Frame, back, render, view

PAGE: Final = 25
EVENTS: Final = ("INFERENCE_COMPLETE", "SESSION_COMPLETE")
STATUSES: Final = ("pending", "delivering", "delivered", "failed", "abandoned")
MODES: Final = ("drop", "duplicate", "fail_after_send")
# A redelivery is shown once it had its first attempt; not longer than this.
SETTLE_SECONDS: Final = 1.5


def _filters(request: Request) -> dict[str, str]:
    q = request.query_params
    found = {"event": q.get("event", ""), "status": q.get("status", "")}
    found["session_id"] = q.get("session_id", "").strip()
    return {k: v for k, v in found.items() if v}


@view
async def page(request: Request, f: Frame) -> Response:
    """The log, newest first, filtered and paged; the failure switches in force."""
    filters = _filters(request)
    offset = _offset(request)
    params: dict[str, Any] = {**filters, "api_key": f.tenant, "limit": PAGE, "offset": offset}
    params["brief"] = True
    log = await f.client.get("/_emulator/callbacks", params=params)
    switches = await f.client.get("/_emulator/callbacks/failures")
    return render(
        f,
        "webhooks.html",
        {
            "log": log,
            "deliveries": list(reversed(log["callbacks"])),
            "filters": filters,
            "offset": offset,
            "switches": switches["switches"],
            "events": EVENTS,
            "statuses": STATUSES,
            "modes": MODES,
            "page_size": PAGE,
            "switch_curl": _switch_call({"mode": "drop", "remaining": "1"}, f.tenant).curl(
                f.base_url, token=f.client.credentials.authorization is not None
            ),
        },
    )


def _back_target(form: dict[str, str], default: str) -> str:
    target = form.get("back", "")
    # Only back to an inspector page: a form field must not redirect elsewhere.
    return target if target.startswith(PREFIX + "/") and "//" not in target else default


async def _form(request: Request) -> dict[str, str]:
    async with request.form(max_files=0, max_fields=20) as form:
        return {k: v for k, v in form.items() if isinstance(v, str)}


async def redeliver(request: Request) -> Response:
    """Send a delivery again, wait briefly for its first attempt, go back."""
    form = await _form(request)
    target = _back_target(form, f"{PREFIX}/webhooks")
    if not same_origin(request.scope):
        return back(request, target, ok=False, message="Refused: the form came from elsewhere.")
    client = ControlClient(request)
    delivery_id = request.path_params["delivery_id"]
    call = Call("POST", f"/_emulator/callbacks/{delivery_id}/redeliver")
    line = call.curl(str(request.base_url), token=client.credentials.authorization is not None)
    try:
        made = await client.call(call)
    except ControlCallError as exc:
        return back(request, target, ok=False, message=exc.message, curl=line)
    outcome = await _settled(client, made["id"])
    message = f"Redelivered {delivery_id} as {made['id']}: {outcome}."
    return back(request, f"{target}#{made['id']}", ok=True, message=message, curl=line)


async def _settled(client: ControlClient, delivery_id: str) -> str:
    """Wait (briefly) for the new delivery's first attempt; what became of it."""
    await client.send(
        Call("POST", "/_emulator/callbacks/flush", params={"timeout": SETTLE_SECONDS})
    )
    found = await client.get(f"/_emulator/callbacks/{delivery_id}")
    attempts = found["attempts"]
    if not attempts:
        return f"queued ({found['status']})"
    last = attempts[-1]
    answered = f"HTTP {last['status']}" if last["status"] else (last["error"] or "no answer")
    return f"attempt {last['attempt']} {last['outcome']} ({answered}), now {found['status']}"


def _switch_call(form: dict[str, str], tenant: str | None) -> Call:
    mode = form.get("mode", "off")
    if mode == "off":
        return Call("DELETE", "/_emulator/callbacks/failures", params={"api_key": tenant})
    remaining = form.get("remaining", "").strip()
    body: dict[str, Any] = {"mode": mode, "api_key": tenant}
    body["remaining"] = (
        int(remaining)
        if remaining.isascii() and remaining.isdigit() and len(remaining) < 10
        else None
    )
    if form.get("event"):
        body["event"] = form["event"]
    return Call("PUT", "/_emulator/callbacks/failures", body=body)


async def failures(request: Request) -> Response:
    """Set or switch off the tenant's failure switch."""
    form = await _form(request)
    tenant = form.get("tenant") or None
    target = f"{PREFIX}/webhooks" + (f"?tenant={tenant}" if tenant else "")
    if not same_origin(request.scope):
        return back(request, target, ok=False, message="Refused: the form came from elsewhere.")
    client = ControlClient(request)
    call = _switch_call(form, tenant)
    line = call.curl(str(request.base_url), token=client.credentials.authorization is not None)
    try:
        await client.call(call)
    except ControlCallError as exc:
        return back(request, target, ok=False, message=exc.message, curl=line)
    mode = form.get("mode", "off")
    text = "Failure switch off." if mode == "off" else f"Failure switch set: {mode}."
    return back(request, target, ok=True, message=text, curl=line)
