"""Control endpoints for fault rules (``emulator.core.faults``) under ``/_emulator/faults``.

``PUT`` replaces the whole list (a test states the faults it wants, idempotently);
``POST`` appends one rule (build a list step by step); ``DELETE`` clears all rules, or
those scoped to ``?api_key=``, or one rule by id. ``GET`` shows each rule with its
``matches``, ``hits`` and ``expired`` so a test can assert what was injected.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from emulator.control.endpoints import json_body
from emulator.core.errors import ControlError
from emulator.core.faults import FaultError, FaultRule
from emulator.core.runtime import runtime


async def list_faults(request: Request) -> Response:
    rt = runtime(request)
    return JSONResponse({"seed": rt.store.seed, "rules": _rules(rt.faults.rules())})


async def replace_faults(request: Request) -> Response:
    body = await json_body(request)
    if isinstance(body, dict) and set(body) == {"rules"}:
        body = body["rules"]
    if not isinstance(body, list):
        raise ControlError('PUT takes a list of rules (or {"rules": [...]}); POST adds one rule')
    try:
        rules = runtime(request).faults.replace(body)
    except FaultError as exc:
        raise ControlError(str(exc)) from None
    return JSONResponse({"rules": _rules(rules)})


async def add_fault(request: Request) -> Response:
    body = await json_body(request)
    try:
        rule = runtime(request).faults.add(body)
    except FaultError as exc:
        raise ControlError(str(exc)) from None
    return JSONResponse(rule.to_json(), status_code=201)


async def clear_faults(request: Request) -> Response:
    api_key = request.query_params.get("api_key")
    if api_key == "":
        raise ControlError("api_key must not be empty; omit it to delete every rule")
    return JSONResponse({"deleted": runtime(request).faults.clear(api_key)})


async def get_fault(request: Request) -> Response:
    rule = runtime(request).faults.get(request.path_params["rule_id"])
    if rule is None:
        raise _no_rule(request.path_params["rule_id"])
    return JSONResponse(rule.to_json())


async def delete_fault(request: Request) -> Response:
    rule_id = request.path_params["rule_id"]
    if not runtime(request).faults.remove(rule_id):
        raise _no_rule(rule_id)
    return JSONResponse({"deleted": 1})


def _rules(rules: list[FaultRule]) -> list[dict[str, Any]]:
    return [r.to_json() for r in rules]


def _no_rule(rule_id: str) -> ControlError:
    return ControlError(f"no fault rule {rule_id!r}", status_code=404, error_code="not_found")


routes: list[BaseRoute] = [
    Route("/faults", list_faults, methods=["GET"]),
    Route("/faults", replace_faults, methods=["PUT"]),
    Route("/faults", add_fault, methods=["POST"]),
    Route("/faults", clear_faults, methods=["DELETE"]),
    Route("/faults/{rule_id}", get_fault, methods=["GET"]),
    Route("/faults/{rule_id}", delete_fault, methods=["DELETE"]),
]
