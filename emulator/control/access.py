"""Who may use the control plane: the operator's token, a tenant's own key, or anyone.

Three cases (docs/security.md is the threat model):

* zero-config (no ``control_token``, no tenant config): everyone is the operator, as
  before; the CLI warns when such a server listens beyond loopback;
* ``control_token`` set: every ``/_emulator/`` call but ``health`` (and the login
  calls) needs ``Authorization: Bearer <token>``, or the inspector's session cookie
  (``POST /_emulator/login`` sets it; its value is derived from the token, never the
  token itself);
* a tenant config (``--config``): a configured key in ``X-API-Key`` may make the
  tenant-scoped calls (``TENANT_CALLS``) on its own data only; everything global or
  cross-tenant needs the token (and is refused outright when none is set).

A tenant's calls need no scoping rule per endpoint: a control call names its tenant by
``X-API-Key`` (``core.control_tenant``), and for a tenant's call that header is the
caller. ``?api_key=`` naming anyone else is refused here (the query is rewritten to
name the caller, so every alias agrees); a body naming another is the endpoints' own
``conflicting_api_key``. A call not listed in ``TENANT_CALLS`` needs the token: a new
control route is closed to tenants until someone decides otherwise.

Browsers: a control call whose ``Origin`` is not the server it is sent to is refused
(a web page must not drive a developer's loopback emulator), and a cookie-authenticated
call must come from the same origin as well.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qsl, quote, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from emulator.core.browser import SAFE_METHODS, SESSION_COOKIE, same_origin
from emulator.core.errors import ControlError, EmulatorError
from emulator.core.headers import header
from emulator.core.routing import route_path
from emulator.core.secrets import key_matches
from emulator.core.tenants import Tenants

PREFIX: Final = "/_emulator"
COOKIE: Final = SESSION_COOKIE
LOGIN: Final = f"{PREFIX}/login"
# Reachable without credentials: health, the login form and calls, and the demo's
# webhook receiver (called by the emulator's own outbox, which sends none; it keeps
# nothing, it answers the status it is asked for).
OPEN_PATHS: Final = frozenset(
    {f"{PREFIX}/health", LOGIN, f"{PREFIX}/logout", f"{PREFIX}/demo/receiver"}
)
# Pages a browser opens: without credentials they are sent to the login form.
UI: Final = f"{PREFIX}/ui/"
REALM: Final = 'Bearer realm="vendor-emulator control API"'

# The control calls a configured tenant's key may make (its own data only), as
# "METHODS /path" under /_emulator; {x} is one path segment. The vendors' own control
# routes (/_emulator/<vendor>/...) are added per app: they name their tenant by
# X-API-Key, which for a tenant caller is the caller.
TENANT_CALLS: Final = (
    "POST /reset",
    "GET DELETE /requests",
    "GET /scenarios",
    "GET PUT /state",
    "POST /advance",
    "POST /demo",
    "GET PUT POST DELETE /faults",
    "GET DELETE /faults/{x}",
    "GET DELETE /callbacks",
    "GET PUT DELETE /callbacks/failures",
    "POST /callbacks/flush",
    "GET /callbacks/{x}",
    "POST /callbacks/{x}/redeliver",
    "GET /openapi.json",
)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: the operator (token, or anyone in zero-config) or one tenant;
    ``authenticated`` when a credential proved it (never in zero-config)."""

    operator: bool
    tenant: str | None = None
    authenticated: bool = False


OPERATOR: Final = Caller(operator=True)
TOKEN_HOLDER: Final = Caller(operator=True, authenticated=True)


class ControlAccess:
    """The access rules of one app: its token (if any), its tenants, its vendors."""

    def __init__(self, token: str | None, tenants: Tenants, vendors: Iterable[str]) -> None:
        self.token = token or None
        self.tenants = tenants
        self._cookie = _cookie_value(self.token) if self.token else None
        calls = [*TENANT_CALLS, *(f"* /{name}/**" for name in vendors)]
        self._tenant_calls = [_compile(call) for call in calls]

    @property
    def guarded(self) -> bool:
        """Whether the control plane checks callers at all (not zero-config)."""
        return self.token is not None or not self.tenants.open

    def identify(self, scope: Scope) -> tuple[Caller | None, bool]:
        """The caller of a control request (None: nobody known), and whether it was
        recognised by the session cookie (browsers) rather than a header."""
        if not self.guarded:
            return OPERATOR, False
        authorization = header(scope, b"authorization")
        if authorization is not None:
            # A credential that is presented must be right: no falling back to a key.
            bearer = _bearer(authorization)
            if bearer is None or self.token is None or self._cookie is None:
                return None, False
            # The session value is as good as the token: the inspector passes a logged-in
            # browser's cookie on to its in-process control calls as a bearer.
            for secret in (self.token, self._cookie):
                if hmac.compare_digest(bearer.encode(), secret.encode()):
                    return TOKEN_HOLDER, False
            return None, False
        if self.token is not None:
            cookie = _cookie(header(scope, b"cookie"), COOKIE)
            if (
                cookie is not None
                and self._cookie is not None
                and hmac.compare_digest(cookie.encode(), self._cookie.encode())
            ):
                return TOKEN_HOLDER, True
        if not self.tenants.open:
            key = header(scope, b"x-api-key")
            tenant = self.tenants.lookup(key)
            if tenant is not None:
                return Caller(operator=False, tenant=tenant.api_key, authenticated=True), False
        return None, False

    def tenant_may(self, method: str, path: str) -> bool:
        """Whether a tenant's key may make this call (on its own data); never without
        a tenant config (any key is valid then, so a key proves nothing)."""
        if self.tenants.open:
            return False
        sub = path[len(PREFIX) :]
        return any(
            (methods is None or method in methods) and pattern.fullmatch(sub)
            for methods, pattern in self._tenant_calls
        )

    def login_ok(self, token: str) -> bool:
        return self.token is not None and hmac.compare_digest(token.encode(), self.token.encode())

    def session_cookie(self) -> str | None:
        """The value ``POST /_emulator/login`` sets (None without a token)."""
        return self._cookie


class ControlAccessMiddleware:
    """Checks every ``/_emulator/`` request against ``ControlAccess`` before routing."""

    def __init__(self, app: ASGIApp, access: ControlAccess) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # What the router matches: without an app's root_path (``--root-path``, or the
        # app mounted below a prefix), or /emu/_emulator/... would pass unchecked.
        if scope["type"] != "http" or not route_path(scope).startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        try:
            self._check(scope)
        except ToLogin as sent:
            await sent.response(scope, receive, send)
            return
        except EmulatorError as exc:
            response = JSONResponse(exc.to_body(), exc.status_code, headers=exc.headers or None)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _check(self, scope: Scope) -> None:
        path = route_path(scope)
        method: str = scope["method"]
        page = path.startswith(UI)  # the inspector answers a foreign form itself
        if not page and not same_origin(scope):
            raise forbidden(
                "cross-origin control calls are refused: the Origin header names another server"
            )
        if path in OPEN_PATHS:
            return
        caller, by_cookie = self.access.identify(scope)
        if caller is None:
            if _browser_page(scope):
                raise ToLogin(scope)
            raise unauthorized(self.access)
        scope.setdefault("state", {})["control_caller"] = caller
        if caller.operator:
            if by_cookie and method not in SAFE_METHODS and not page and not _has_origin(scope):
                # A cookie rides along on any request a browser makes; a state change
                # made with one must say where it comes from.
                raise forbidden("a call authenticated by the session cookie needs an Origin")
            return
        assert caller.tenant is not None
        if not self.access.tenant_may(method, path):
            # The credential this call needs is missing (a tenant's key is not it).
            raise ControlError(
                _needs_token(self.access, method, path),
                status_code=401,
                error_code="unauthorized",
                headers={"WWW-Authenticate": REALM},
            )
        scope["query_string"] = scoped_query(scope.get("query_string", b""), caller.tenant)


class ToLogin(Exception):
    """A browser opening a page without credentials: on to the login form."""

    def __init__(self, scope: Scope) -> None:
        super().__init__(scope["path"])
        query = scope.get("query_string", b"").decode("latin-1")
        target = route_path(scope) + (f"?{query}" if query else "")
        login = scope.get("root_path", "") + LOGIN
        self.response = RedirectResponse(f"{login}?{urlencode({'next': target})}", 303)


def _browser_page(scope: Scope) -> bool:
    accept = header(scope, b"accept") or ""
    return scope["method"] == "GET" and route_path(scope).startswith(UI) and "text/html" in accept


def scoped_query(raw: bytes, tenant: str) -> bytes:
    """The query string with ``api_key`` naming ``tenant``: added when absent, a 403
    when it names anyone else (the key itself or its masked fingerprint is accepted)."""
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
    named = [value for name, value in pairs if name == "api_key"]
    if any(not key_matches(tenant, value) for value in named):
        raise forbidden("a tenant's key may only address its own data (api_key names another)")
    kept = [(name, value) for name, value in pairs if name != "api_key"]
    return urlencode([*kept, ("api_key", tenant)], quote_via=quote).encode("latin-1")


def access_of(request: Request) -> ControlAccess:
    """The access rules of the app serving ``request``."""
    found: ControlAccess = request.scope["app"].emulator_access
    return found


def caller_of(request: Request) -> Caller:
    """The caller the middleware recognised (the operator in an app without it)."""
    found = request.scope.get("state", {}).get("control_caller")
    return found if isinstance(found, Caller) else OPERATOR


def unauthorized(access: ControlAccess) -> ControlError:
    if access.token is None:
        how = "send a configured tenant's key in X-API-Key (tenant-scoped calls only)"
    else:
        how = "send Authorization: Bearer <control token>"
        if not access.tenants.open:
            how += ", or a configured tenant's key in X-API-Key for its own data"
    return ControlError(
        f"the control API needs credentials: {how}",
        status_code=401,
        error_code="unauthorized",
        headers={"WWW-Authenticate": REALM},
    )


def forbidden(message: str) -> ControlError:
    return ControlError(message, status_code=403, error_code="forbidden")


def _needs_token(access: ControlAccess, method: str, path: str) -> str:
    what = f"{method} {path} is global or cross-tenant: it needs the control token"
    if access.token is None:
        return what + " (this emulator runs without one: start it with --control-token)"
    return what + " (Authorization: Bearer <control token>)"


# --------------------------------------------------------------------------- helpers


def _cookie_value(token: str) -> str:
    """The session cookie: a MAC of a fixed label under the token. Stateless, changes
    with the token, and tells nothing about it."""
    label = b"vendor-emulator inspector session"
    return hmac.new(token.encode(), label, hashlib.sha256).hexdigest()


def _bearer(value: str | None) -> str | None:
    if value is None:
        return None
    scheme, _, credentials = value.strip().partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" and credentials.strip() else None


def _cookie(value: str | None, name: str) -> str | None:
    if not value:
        return None
    for part in value.split(";"):
        key, sep, found = part.strip().partition("=")
        if sep and key == name:
            return found
    return None


def _has_origin(scope: Scope) -> bool:
    return header(scope, b"origin") is not None


def _compile(call: str) -> tuple[frozenset[str] | None, re.Pattern[str]]:
    *methods, path = call.split()
    allowed = None if methods == ["*"] else frozenset(methods)
    pattern = re.escape(path).replace(r"\{x\}", "[^/]+")
    pattern = pattern.replace("/\\*\\*", "(?:/.*)?")
    return allowed, re.compile(pattern, re.DOTALL)
