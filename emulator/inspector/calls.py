"""A control-API call as a value: what a form does, and the ``curl`` line that does the same.

Every control form of the inspector builds one ``Call`` from its fields; the same
value is sent (``ControlClient``) and shown as a shell command, so the page teaches
the API it drives. A control token is never printed: the line reads it from
``$EMULATOR_CONTROL_TOKEN``. ``query_string`` writes a call's parameters, one way for
the request sent and the line shown.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

Params = Mapping[str, str | int | float | bool | None]


def query_string(params: Mapping[str, Any] | None) -> str:
    """``params`` as a query string; None values are left out, booleans are true/false."""
    if not params:
        return ""
    pairs = [
        (k, ("true" if v else "false") if isinstance(v, bool) else str(v))
        for k, v in params.items()
        if v is not None
    ]
    return urlencode(pairs)


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    path: str
    params: Mapping[str, Any] | None = None
    body: Any = None
    tenant: str | None = None  # sent as x-api-key

    def url(self, base_url: str) -> str:
        query = query_string(self.params)
        return base_url.rstrip("/") + self.path + (f"?{query}" if query else "")

    def curl(self, base_url: str, *, token: bool = False) -> str:
        parts = ["curl", "-sS"]
        if self.method != "GET":
            parts += ["-X", self.method]
        parts.append(shlex.quote(self.url(base_url)))
        if self.tenant is not None:
            parts += ["-H", shlex.quote(f"x-api-key: {self.tenant}")]
        if token:
            parts += ["-H", '"Authorization: Bearer $EMULATOR_CONTROL_TOKEN"']
        if self.body is not None:
            text = json.dumps(self.body, separators=(", ", ": "), ensure_ascii=False)
            parts += ["-H", "'content-type: application/json'", "-d", shlex.quote(text)]
        return " ".join(parts)
