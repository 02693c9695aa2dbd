"""The controls page: forms that drive the control API, each with its ``curl`` line.

Every form posts to ``/controls/{action}``; ``ACTIONS`` turns its fields into one
``Call`` (method, path, query, JSON body, tenant), which is sent through the
control client and shown as the equivalent shell command. ``/controls/preview``
answers the command for fields being edited, so the page's script can keep the line
under each form current without knowing any of the API itself.

The choices offered (sleeper profiles, Kintsugi labels and audio errors) are read
from the OpenAPI document the control API serves, once per app.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from emulator.core.browser import same_origin
from emulator.inspector.calls import Call
from emulator.inspector.client import ControlCallError, ControlClient
from emulator.inspector.render import PREFIX, Frame, back, render, view

UNITS: Final = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
FAULT_ACTIONS: Final = ("error", "throttle", "latency", "drop")
PROGRESSION_MODES: Final = ("immediate", "polls", "seconds", "manual")
Builder = Callable[[dict[str, str], str | None, str], Call]


class BadForm(ValueError):
    """A field the form cannot be sent with (the message says which)."""


def _number(form: dict[str, str], name: str, *, integer: bool = False) -> float | None:
    raw = form.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise BadForm(f"{name} must be a number") from None
    if integer and not value.is_integer():
        raise BadForm(f"{name} must be a whole number")
    # 1 rather than 1.0 in the JSON (and in the curl line a person reads).
    return int(value) if value.is_integer() else value


def _clock(form: dict[str, str], tenant: str | None, base: str) -> Call:
    op = form.get("op", "advance")
    if op in ("freeze", "resume"):
        return Call("POST", "/_emulator/clock", body={op: True})
    if op == "set":
        at = form.get("at", "").strip()
        if not at:
            raise BadForm("choose the instant to set the clock to")
        return Call("POST", "/_emulator/clock", body={"set": at if at.endswith("Z") else at + "Z"})
    seconds = float(_number(form, "amount") or 0) * UNITS.get(form.get("unit", "minutes"), 60)
    advance = int(seconds) if seconds.is_integer() else seconds
    return Call("POST", "/_emulator/clock", body={"advance": advance})


def _fault(form: dict[str, str], tenant: str | None, base: str) -> Call:
    action = form.get("action", "error")
    body: dict[str, Any] = {"path": form.get("path", "").strip() or "*", "action": action}
    if form.get("method"):
        body["method"] = form["method"]
    if action in ("error", "throttle"):
        body["status"] = _number(form, "status", integer=True) or (
            503 if action == "throttle" else 500
        )
    if action == "latency":
        body["latency_ms"] = _number(form, "latency_ms") or 500
    probability = _number(form, "probability")
    if probability is not None:
        body["probability"] = probability
    times = _number(form, "times", integer=True)
    if times is not None:
        body["times"] = times
    if form.get("scoped") and tenant:
        body["api_key"] = tenant
    return Call("POST", "/_emulator/faults", body=body)


def _fault_delete(form: dict[str, str], tenant: str | None, base: str) -> Call:
    rule = form.get("rule_id", "").strip()
    if not rule:
        raise BadForm("which rule?")
    return Call("DELETE", f"/_emulator/faults/{rule}")


def _progression(form: dict[str, str], tenant: str | None, base: str) -> Call:
    vendor = form.get("vendor", "asleep")
    policy: dict[str, Any] = {"mode": form.get("mode", "immediate")}
    if policy["mode"] == "polls":
        policy["polls"] = _number(form, "polls", integer=True) or 1
    if policy["mode"] == "seconds":
        policy["seconds"] = _number(form, "seconds") or 60
    return Call("PUT", "/_emulator/progression", body={vendor: policy})


def _user(form: dict[str, str]) -> str:
    user = form.get("user_id", "").strip()
    if not user:
        raise BadForm("choose a user")
    return user


def _profile(form: dict[str, str], tenant: str | None, base: str) -> Call:
    profile = form.get("profile") or None
    path = f"/_emulator/asleep/users/{_user(form)}/profile"
    return Call("PUT", path, body={"profile": profile}, tenant=tenant)


def _night(form: dict[str, str], tenant: str | None, base: str) -> Call:
    body: dict[str, Any] = {"callback_url": base.rstrip("/") + "/_emulator/demo/receiver"}
    body["hours"] = _number(form, "hours") or 8
    if form.get("profile"):
        body["profile"] = form["profile"]
    return Call("POST", f"/_emulator/asleep/users/{_user(form)}/nights", body=body, tenant=tenant)


def _outcome(form: dict[str, str], tenant: str | None, base: str) -> Call:
    names = ("depression_severity", "depression_binary", "anxiety_severity", "error")
    body: dict[str, Any] = {n: form[n] for n in names if form.get(n)}
    if form.get("hold"):
        body["hold"] = True
    path = f"/_emulator/kintsugi/outcomes/users/{_user(form)}"
    return Call("PUT", path, body=body, tenant=tenant)


def _advance(form: dict[str, str], tenant: str | None, base: str) -> Call:
    return Call("POST", "/_emulator/advance", params={"api_key": tenant})


def _demo(form: dict[str, str], tenant: str | None, base: str) -> Call:
    return Call("POST", "/_emulator/demo", params={"api_key": form.get("api_key") or "demo-key"})


def _reset(form: dict[str, str], tenant: str | None, base: str) -> Call:
    if form.get("scope") == "all":
        return Call("POST", "/_emulator/reset")
    if not tenant:
        raise BadForm("no tenant to reset")
    return Call("POST", "/_emulator/reset", params={"api_key": tenant})


ACTIONS: Final[dict[str, Builder]] = {
    "clock": _clock,
    "fault": _fault,
    "fault-delete": _fault_delete,
    "progression": _progression,
    "profile": _profile,
    "night": _night,
    "outcome": _outcome,
    "advance": _advance,
    "demo": _demo,
    "reset": _reset,
}
# What each form shows before anything is typed (the first curl line).
DEFAULTS: Final[dict[str, dict[str, str]]] = {
    "clock": {"op": "advance", "amount": "1", "unit": "hours"},
    "fault": {"path": "/data/v3/*", "action": "error", "status": "500", "probability": "1"},
    "progression": {"vendor": "kintsugi", "mode": "manual"},
    "profile": {"user_id": "{user_id}", "profile": "insomnia"},
    "night": {"user_id": "{user_id}", "hours": "8"},
    "outcome": {"user_id": "patient-1", "depression_severity": "moderate_to_severe"},
    "advance": {},
    "demo": {"api_key": "demo-key"},
    "reset": {},
}


async def _choices(request: Request, client: ControlClient) -> dict[str, list[str]]:
    """Profiles, labels and audio errors as the OpenAPI document lists them."""
    cached = getattr(request.app.state, "inspector_choices", None)
    if cached is not None:
        return dict(cached)
    doc = await client.get("/_emulator/openapi.json")
    paths = doc["paths"]

    def fields(path: str) -> dict[str, Any]:
        body = paths[path]["put"]["requestBody"]["content"]["application/json"]
        found: dict[str, Any] = body["schema"]["properties"]
        return found

    outcome = fields("/_emulator/kintsugi/outcomes/users/{ident}")
    profiles = fields("/_emulator/asleep/users/{user_id}/profile")["profile"]["enum"]
    labels = ("depression_severity", "depression_binary", "anxiety_severity", "error")
    found = {"profiles": [p for p in profiles if p]}
    found.update({name: list(outcome[name]["enum"]) for name in labels})
    request.app.state.inspector_choices = found
    return found


@view
async def page(request: Request, f: Frame) -> Response:
    """Every control, grouped: time, faults, scenarios, data."""
    rules = (await f.client.get("/_emulator/faults"))["rules"]
    progression = await f.client.get("/_emulator/progression")
    users: list[dict[str, Any]] = []
    if f.tenant:
        listed = await f.client.get(
            "/_emulator/asleep/users", params={"limit": 200}, tenant=f.tenant
        )
        users = listed["users"]
    token = f.client.credentials.authorization is not None
    curls = {}
    for name, fields in DEFAULTS.items():
        if users and fields.get("user_id") == "{user_id}":
            fields = {**fields, "user_id": users[0]["user_id"]}
        try:
            curls[name] = ACTIONS[name](fields, f.tenant, f.base_url).curl(f.base_url, token=token)
        except BadForm:  # e.g. no tenant to reset yet
            curls[name] = ""
    return render(
        f,
        "controls.html",
        {
            "rules": rules,
            "progression": progression,
            "users": users,
            "choices": await _choices(request, f.client),
            "curls": curls,
            "units": list(UNITS),
            "fault_actions": FAULT_ACTIONS,
            "modes": PROGRESSION_MODES,
        },
    )


def _fields(form: Any) -> dict[str, str]:
    return {k: v for k, v in form.multi_items() if isinstance(v, str)}


async def preview(request: Request) -> Response:
    """The curl line for fields being edited (``?action=...&<fields>``), as text."""
    fields = dict(request.query_params)
    builder = ACTIONS.get(fields.pop("action", ""))
    if builder is None:
        return PlainTextResponse("unknown action", status_code=404)
    tenant = fields.pop("tenant", "") or None
    base = str(request.base_url).rstrip("/")
    token = ControlClient(request).credentials.authorization is not None
    try:
        return PlainTextResponse(builder(fields, tenant, base).curl(base, token=token))
    except BadForm as exc:
        return PlainTextResponse(f"# {exc}", status_code=400)


async def act(request: Request) -> Response:
    """Run one action, then back to the controls page with what happened."""
    name = request.path_params["action"]
    async with request.form(max_files=0, max_fields=30) as form:
        fields = _fields(form)
    tenant = fields.pop("tenant", "") or None
    back_to = f"{PREFIX}/controls" + (f"?tenant={tenant}" if tenant else "")
    if name == "demo":
        back_to = f"{PREFIX}/?tenant={fields.get('api_key') or 'demo-key'}"
    builder = ACTIONS.get(name)
    if builder is None:
        return back(request, back_to, ok=False, message=f"No control called {name!r}.")
    if not same_origin(request.scope):
        return back(request, back_to, ok=False, message="Refused: the form came from elsewhere.")
    client = ControlClient(request)
    base = str(request.base_url).rstrip("/")
    try:
        call = builder(fields, tenant, base)
    except BadForm as exc:
        return back(request, back_to, ok=False, message=str(exc))
    line = call.curl(base, token=client.credentials.authorization is not None)
    try:
        answer = await client.call(call)
    except ControlCallError as exc:
        return back(request, back_to, ok=False, message=f"{exc.status}: {exc.message}", curl=line)
    return back(request, back_to, ok=True, message=_said(name, answer), curl=line)


def _said(name: str, answer: Any) -> str:
    """One line saying what the control API did."""
    if name == "clock":
        return f"Clock: {answer['now']} ({'frozen' if answer['frozen'] else 'running'})."
    if name == "fault":
        return f"Fault rule {answer['id']} added: {answer['action']} on {answer['path']}."
    if name == "night":
        return f"Night {answer['session_id']} played: {len(answer['deliveries'])} webhooks queued."
    if name == "demo":
        nights = sum(u["sessions"] for u in answer["asleep"]["users"])
        key, took = answer["api_key"], answer["seconds"]
        return f"Demo data loaded for {key}: {nights} Asleep sessions, in {took} s."
    if name == "advance":
        return f"Advanced {answer['total']} pending job(s)."
    if name == "reset":
        return "Reset: " + ("everything." if answer["reset"] == "all" else "this tenant's data.")
    return f"Done ({name})."
