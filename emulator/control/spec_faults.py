"""The control API's fault-rule endpoints (``/_emulator/faults...``) in the document.

docs/control-api.md, Faults. Part of ``spec``; split out to keep each module small.
"""

from __future__ import annotations

from typing import Any

from emulator.control.spec_helpers import BAD as _BAD
from emulator.control.spec_helpers import TENANT as _TENANT
from emulator.control.spec_helpers import ok as _ok
from emulator.control.spec_helpers import op as _op
from emulator.control.spec_inputs import fault_rule_in
from emulator.core.openapi import (
    Paths,
    array,
    integer,
    item_path,
    json_body,
    merge_paths,
    obj,
    ref,
    tenant_parameters,
)
from emulator.core.openapi import control_error as _err


def _rules_paths() -> dict[str, dict[str, Any]]:
    return {
        "/_emulator/faults": {
            "get": _op(
                "control_list_faults",
                "The fault rules with their counters",
                _ok(
                    "The rules",
                    obj({"seed": integer(), "rules": array(ref("ControlFaultRule"))}),
                ),
                _BAD,
                parameters=tenant_parameters("Only this tenant's rules"),
            ),
            "put": _op(
                "control_replace_faults",
                "Replace the whole rule list (with a tenant named: that tenant's rules)",
                _ok("The rules", obj({"rules": array(ref("ControlFaultRule"))})),
                _BAD,
                parameters=tenant_parameters("Replace only this tenant's rules, scoped to it"),
                request_body=json_body(
                    {"anyOf": [array(fault_rule_in()), obj({"rules": array(fault_rule_in())})]}
                ),
            ),
            "post": _op(
                "control_add_fault",
                "Add one rule",
                _ok("The rule with its id", ref("ControlFaultRule"), 201),
                _BAD,
                parameters=tenant_parameters("Scope the rule to this tenant"),
                request_body=json_body(fault_rule_in()),
            ),
            "delete": _op(
                "control_clear_faults",
                "Delete every rule, or those scoped to one key",
                _ok("Deleted", obj({"deleted": integer(minimum=0)})),
                _BAD,
                parameters=_TENANT,
            ),
        },
    }


def _rule_paths() -> dict[str, dict[str, Any]]:
    return {
        "/_emulator/faults/{rule_id}": item_path(
            "rule_id",
            "f1, f2, ... or your own id",
            get=_op(
                "control_get_fault",
                "One rule",
                _ok("The rule", ref("ControlFaultRule")),
                _BAD,
                _err(404, "`not_found` (also another tenant's rule)"),
                parameters=_TENANT,
            ),
            delete=_op(
                "control_delete_fault",
                "Delete one rule",
                _ok("Deleted", obj({"deleted": {"const": 1}})),
                _BAD,
                _err(404, "`not_found` (also another tenant's rule)"),
                parameters=_TENANT,
            ),
        ),
    }


def fault_paths() -> Paths:
    """Every ``/_emulator/faults`` path: the rule list and one rule."""
    return merge_paths(_rules_paths, _rule_paths)
