"""What the trust boundary answers around every operation, added to the document.

``with_trust_boundary`` adds, whatever each part says: 503 with ``Retry-After`` on
every operation (the in-flight body budget is spent, or the state file refused a
write), in the operation's own error shape; 401 and 403 on every control operation
but the open ones (health, the login form and calls, the demo's webhook receiver);
and, when the control plane checks callers (a control token or a tenant file), the
``controlToken`` bearer scheme as each control operation's security, with ``apiKey``
besides where a tenant's key may call (``control.access``; docs/security.md).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any, Final

from emulator.control.access import OPEN_PATHS

TOKEN_SCHEME: Final = "controlToken"
OPEN: Final = OPEN_PATHS  # what the middleware lets through without credentials
METHODS: Final = frozenset({"get", "put", "post", "delete", "patch"})
_RETRY_AFTER: Final = {
    "Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}
}
_CONTROL_ERROR: Final = {"$ref": "#/components/schemas/ControlError"}

TenantMay = Callable[[str, str], bool]


def with_trust_boundary(
    doc: Mapping[str, Any], *, guarded: bool, tenant_may: TenantMay | None = None
) -> dict[str, Any]:
    """A copy of ``doc`` with the answers of the trust boundary (module docstring).
    ``tenant_may(METHOD, path)``: whether a tenant's key may make the call."""
    out = copy.deepcopy(dict(doc))
    out["components"]["securitySchemes"][TOKEN_SCHEME] = {
        "type": "http",
        "scheme": "bearer",
        "description": "The control token (--control-token / EMULATOR_CONTROL_TOKEN)",
    }
    for path, item in out["paths"].items():
        control = path.startswith("/_emulator")
        for method, op in item.items():
            if method not in METHODS:
                continue
            answers = op["responses"]
            error = _CONTROL_ERROR if control else _error_schema(answers)
            if error is not None:
                busy = (
                    "Busy: too many request bodies in flight, or the state file refused a "
                    "write (nothing was changed); retry after Retry-After"
                )
                answers.setdefault("503", _json(busy, error, _RETRY_AFTER))
            if not control or path in OPEN:
                continue
            answers.setdefault("401", _json("The control API needs credentials", error))
            answers.setdefault(
                "403", _json("Not for this caller (a tenant's key, a cross-origin call)", error)
            )
            if guarded:
                tenant = tenant_may is not None and tenant_may(method.upper(), path)
                op["security"] = [{TOKEN_SCHEME: []}, *([{"apiKey": []}] if tenant else [])]
    return out


def _error_schema(answers: Mapping[str, Any]) -> Any:
    """The error body schema an operation already uses (its 401, 413 or first 4xx)."""
    for status in ("401", "413", *sorted(answers)):
        content = answers.get(status, {}).get("content", {})
        if status.startswith("4") and "application/json" in content:
            return content["application/json"]["schema"]
    return None


def _json(description: str, schema: Any, headers: Mapping[str, Any] | None = None) -> Any:
    out: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }
    if headers:
        out["headers"] = dict(headers)
    return out
