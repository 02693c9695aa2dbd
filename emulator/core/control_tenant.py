"""How a control request names its tenant: the ``X-API-Key`` header, as on the vendor APIs.

Every ``/_emulator`` endpoint that acts on one tenant reads it here, so a test sets the
header once (on its HTTP client) and every control call means that tenant. The older
forms stay as aliases: ``?api_key=`` (every endpoint that had it) and, where a JSON body
carries the tenant (the callback failure switch, a fault rule), ``"api_key"`` in the
body. Naming the tenant twice is fine when the names agree; when they differ the
request is refused with a 400 that says which forms disagree, never resolved silently.
A masked fingerprint (``team…6be2``, how every listing shows a key) names the known key
it belongs to.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from starlette.requests import HTTPConnection

from emulator.core.errors import ControlError
from emulator.core.runtime import runtime
from emulator.core.secrets import is_masked, mask, resolve

HEADER: Final = "x-api-key"
QUERY: Final = "api_key"


def named_tenant(
    request: HTTPConnection,
    body: Mapping[str, Any] | None = None,
) -> str | None:
    """The API key the request names (header, ``?api_key=``, or ``body["api_key"]``),
    or None when it names none. A ``null`` body value names none."""
    forms: list[tuple[str, str]] = []
    header = request.headers.get(HEADER)
    if header is not None:
        forms.append(("the X-API-Key header", header))
    query = request.query_params.get(QUERY)
    if query is not None:
        forms.append(("?api_key=", query))
    if body is not None and body.get(QUERY) is not None:
        value = body[QUERY]
        if not isinstance(value, str):
            raise ControlError("api_key in the body must be a string")
        forms.append(('"api_key" in the body', value))
    for where, value in forms:
        if value == "":
            raise ControlError(f"{where} must not be empty; name a tenant or leave it out")
    forms = _resolved(request, forms)
    names = {value for _, value in forms}
    if len(names) > 1:
        listed = ", ".join(f"{where} says {mask(value)}" for where, value in forms)
        raise ControlError(
            f"the tenant is named twice, differently ({listed}); "
            "name it once, in the X-API-Key header",
            error_code="conflicting_api_key",
        )
    return forms[0][1] if forms else None


def _resolved(request: HTTPConnection, forms: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The forms with a masked fingerprint (what every listing shows) replaced by the
    key it belongs to, among the keys the emulator knows: a listed key names its tenant."""
    if not any(is_masked(value) for _, value in forms):
        return forms
    rt = runtime(request)
    known = [*rt.store.tenants(), *(t.api_key for t in rt.tenants.listed())]
    return [(where, resolve(value, known)) for where, value in forms]
