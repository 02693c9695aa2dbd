"""Control endpoints for fault rules (``emulator.core.faults``) under ``/_emulator/faults``.

``PUT`` replaces the whole list (a test states the faults it wants, idempotently);
``POST`` appends one rule (build a list step by step); ``DELETE`` clears all rules, or
one rule by id. A request naming a tenant (X-API-Key, or the ``?api_key=`` alias)
acts on that tenant's rules only: ``PUT`` replaces them and leaves other tenants'
rules alone, ``POST`` scopes the new rule to it, ``DELETE`` clears only its rules.
``GET`` shows each rule with its ``matches``, ``hits`` and ``expired`` so a test can
assert what was injected.
The listing shows only the named tenant's rules, and one rule is found only if it is
that tenant's: that is how a tenant's own key uses these calls (``control.access``).
Keys show as masked fingerprints.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from emulator.control.params import json_body
from emulator.core.control_tenant import named_tenant
from emulator.core.errors import ControlError
from emulator.core.fault_rules import FaultError, FaultRule
from emulator.core.routing import route_table
from emulator.core.runtime import runtime
from emulator.core.secrets import key_matches, mask, masked, resolve


async def list_faults(request: Request) -> Response:
    rt = runtime(request)
    scope = _scope(request)
    rules = [r for r in rt.faults.rules() if _owned(r, scope)]
    return JSONResponse({"seed": rt.store.seed, "rules": _rules(rules)})


async def replace_faults(request: Request) -> Response:
    """The whole list; with a tenant named, only that tenant's rules (the others stay)."""
    body = await json_body(request)
    if isinstance(body, dict) and set(body) == {"rules"}:
        body = body["rules"]
    if not isinstance(body, list):
        raise ControlError('PUT takes a list of rules (or {"rules": [...]}); POST adds one rule')
    api_key = named_tenant(request)
    faults = runtime(request).faults
    try:
        if api_key is None:
            return JSONResponse({"rules": _rules(faults.replace(body))})
        documents = [_scoped(doc, api_key, f"rule {i}: ") for i, doc in enumerate(body)]
        kept = [r for r in faults.rules() if r.api_key != api_key]
        _check_ids(documents, {r.id for r in kept})
        for index, doc in enumerate(documents):  # all checked before the list changes
            try:
                FaultRule.from_json(doc, "check")
            except FaultError as exc:
                raise FaultError(f"rule {index}: {exc}") from None
        faults.clear(api_key)
        added = [faults.add(doc) for doc in documents]
    except FaultError as exc:
        raise ControlError(str(exc)) from None
    return JSONResponse({"rules": _rules(added)})


async def add_fault(request: Request) -> Response:
    body = await json_body(request)
    api_key = named_tenant(request)
    try:
        rule = runtime(request).faults.add(_scoped(body, api_key, "") if api_key else body)
    except FaultError as exc:
        raise ControlError(str(exc)) from None
    return JSONResponse(_rule(rule), status_code=201)


def _scoped(doc: Any, api_key: str, where: str) -> Any:
    """A rule document scoped to the tenant the request names; one naming another
    tenant is a 400, not a rule that silently matches someone else's traffic."""
    if not isinstance(doc, dict):
        return doc
    own = doc.get("api_key")
    if own is not None and own != api_key:
        shown = mask(own) if isinstance(own, str) else repr(own)
        raise ControlError(
            f"{where}the rule's api_key {shown} differs from the tenant the request "
            f"names ({mask(api_key)}); name it once, in the X-API-Key header",
            error_code="conflicting_api_key",
        )
    return {**doc, "api_key": api_key}


def _check_ids(documents: list[Any], taken: set[str]) -> None:
    named = [d["id"] for d in documents if isinstance(d, dict) and isinstance(d.get("id"), str)]
    if len(set(named)) != len(named):
        raise FaultError("rule ids must be unique")
    clash = sorted(set(named) & taken)
    if clash:
        raise FaultError(f"a rule of another tenant (or of all) has id {clash[0]!r}")


async def clear_faults(request: Request) -> Response:
    faults = runtime(request).faults
    scope = _scope(request)
    if scope is not None:
        scope = resolve(scope, (r.api_key for r in faults.rules()))
    return JSONResponse({"deleted": faults.clear(scope)})


async def get_fault(request: Request) -> Response:
    rule = runtime(request).faults.get(request.path_params["rule_id"])
    if rule is None or not _owned(rule, _scope(request)):
        raise _no_rule(request.path_params["rule_id"])
    return JSONResponse(_rule(rule))


async def delete_fault(request: Request) -> Response:
    rule_id = request.path_params["rule_id"]
    faults = runtime(request).faults
    rule = faults.get(rule_id)
    if rule is None or not _owned(rule, _scope(request)) or not faults.remove(rule_id):
        raise _no_rule(rule_id)
    return JSONResponse({"deleted": 1})


def _scope(request: Request) -> str | None:
    """The tenant the request names (None: every rule)."""
    return named_tenant(request)


def _owned(rule: FaultRule, scope: str | None) -> bool:
    return scope is None or (rule.api_key is not None and key_matches(rule.api_key, scope))


def _rule(rule: FaultRule) -> dict[str, Any]:
    out = rule.to_json()
    out["api_key"] = masked(rule.api_key)
    return out


def _rules(rules: list[FaultRule]) -> list[dict[str, Any]]:
    return [_rule(r) for r in rules]


def _no_rule(rule_id: str) -> ControlError:
    return ControlError(f"no fault rule {rule_id!r}", status_code=404, error_code="not_found")


routes: list[BaseRoute] = route_table(
    {
        "/faults": {
            "GET": list_faults,
            "PUT": replace_faults,
            "POST": add_fault,
            "DELETE": clear_faults,
        },
        "/faults/{rule_id}": {"GET": get_fault, "DELETE": delete_fault},
    }
)
