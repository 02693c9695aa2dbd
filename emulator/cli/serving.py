"""``vendor-emulator serve``: bind the socket, say where, and run uvicorn (one process
or ``--workers`` of them, each building its app from the same settings).

A problem found here (a port in use, an address file that cannot be written, workers
without a shared store) is one line on stderr and exit status 2 (``config_error``).
"""

from __future__ import annotations

import base64
import os
import pickle
import socket
import sys
from pathlib import Path
from typing import Any

from emulator import __version__
from emulator.core.sockets import bind

DEFAULT_ADDRESS_FILE_ENV = "EMULATOR_ADDRESS_FILE"
WORKER_SETTINGS_ENV = "EMULATOR__WORKER_SETTINGS"


def config_error(exc: BaseException | str) -> int:
    print(f"vendor-emulator: error: {' '.join(str(exc).split())}", file=sys.stderr)
    return 2


def serve(settings: object) -> int:
    """Bind, say where, and serve until interrupted."""
    import dataclasses

    from emulator.app import create_app
    from emulator.settings import Settings

    assert isinstance(settings, Settings)
    _log_setup(settings.log_level)
    problem = workers_problem(settings)
    if problem is not None:
        return config_error(problem)
    try:
        sock = bind(settings.host, settings.port)
    except (OSError, OverflowError) as exc:
        return config_error(f"cannot listen on {settings.host}:{settings.port}: {exc}")
    sock.set_inheritable(True)  # --workers: every worker process serves this socket
    host, port = sock.getsockname()[:2]
    # The port actually bound (--port 0): the demo's webhooks name this address.
    settings = dataclasses.replace(settings, port=port)
    try:
        # With several workers this only checks the settings (and that the shared store
        # answers): each worker builds its own app.
        app = create_app(settings)
    except (OSError, ValueError) as exc:
        sock.close()
        return config_error(exc)
    problem = _announce(settings, host, port)
    if problem is not None:
        sock.close()
        return config_error(problem)
    _run(settings, app, sock)
    return 0


def _log_setup(log_level: str) -> None:
    """Log lines as ``LEVEL name: message``; uvicorn's access lines masked."""
    import logging

    logging.basicConfig(level=log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("uvicorn.access").addFilter(_mask_access_line)


def _announce(settings: Any, host: str, port: int) -> str | None:
    """Warn about an open control API, write the address file, print where the
    emulator listens; why the address file could not be written, or None."""
    url = f"http://{_url_host(host)}:{port}"
    ui = f"http://{probe_host(host)}:{port}/_emulator/ui/"
    if not settings.control_token and not _is_loopback(host):
        print(
            f"vendor-emulator: warning: listening on {host} beyond this machine without a "
            "control token: anyone who can reach the port can read and change every "
            "tenant's data through /_emulator (set EMULATOR_CONTROL_TOKEN; docs/security.md)",
            file=sys.stderr,
            flush=True,
        )
    address_file = settings.address_file or os.environ.get(DEFAULT_ADDRESS_FILE_ENV)
    if address_file:
        try:
            Path(address_file).write_text(f"{probe_host(host)}:{port}\n", encoding="utf-8")
        except OSError as exc:
            return f"cannot write the address file {address_file}: {exc}"
    print(
        f"vendor-emulator {__version__} listening on {url} serving "
        "Asleep (/ai/v1, /data/v1..v3) and Kintsugi Voice (/v1, /v2); control API at /_emulator;"
        f" inspector at {ui}",
        flush=True,
    )
    if settings.demo:
        print(f"demo data for API key demo-key: open {ui}?tenant=demo-key", flush=True)
    return None


def _run(settings: Any, app: Any, sock: socket.socket) -> None:
    """Serve ``app`` on ``sock`` until interrupted, or ``--workers`` processes of it."""
    import uvicorn

    quiet = settings.log_level.lower() != "debug"
    options: dict[str, Any] = {
        "log_level": "warning" if quiet else "debug",
        "access_log": not quiet,
        "lifespan": "on",
        "timeout_keep_alive": 30,
        "timeout_graceful_shutdown": 10,
    }
    if settings.workers > 1:
        from uvicorn.supervisors import Multiprocess

        # Each worker is a fresh interpreter (spawn) that builds the app from the same
        # settings, handed over in the environment, and serves the one bound socket.
        os.environ[WORKER_SETTINGS_ENV] = base64.b64encode(pickle.dumps(settings)).decode()
        config = uvicorn.Config(
            "emulator.cli.serving:worker_app", factory=True, workers=settings.workers, **options
        )
        Multiprocess(config, sockets=[sock]).run()
        return
    uvicorn.Server(uvicorn.Config(app, **options)).run(sockets=[sock])


def worker_app() -> Any:
    """The app of one ``serve --workers`` worker process (uvicorn calls this factory)."""
    from emulator.app import create_app

    settings = pickle.loads(base64.b64decode(os.environ[WORKER_SETTINGS_ENV]))
    _log_setup(settings.log_level)
    return create_app(settings)


def _mask_access_line(record: object) -> bool:
    """uvicorn's access log (``--log-level debug``) with credentials in query strings
    masked: ``GET /_emulator/requests?api_key=team-a`` shows ``api_key=te…96c2``."""
    from emulator.core.secrets import mask_query

    args = getattr(record, "args", None)
    if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
        path, sep, query = args[2].partition("?")
        if sep:
            record.args = (*args[:2], f"{path}?{mask_query(query)}", *args[3:])  # type: ignore[attr-defined]
    return True


def _is_loopback(host: str) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def workers_problem(settings: Any) -> str | None:
    """Why ``settings.workers`` cannot be served, or None."""
    if settings.workers < 1:
        return "--workers must be 1 or more"
    if settings.workers == 1:
        return None
    if settings.state_file:
        return (
            "--state-file keeps one process's world; --workers needs a shared store: "
            "--state-url redis://HOST:PORT/DB (docs/scaling.md)"
        )
    if not settings.state_url:
        return (
            f"--workers {settings.workers} needs a shared store, else each worker would "
            "have its own world: start Redis (or Valkey) and add --state-url "
            "redis://HOST:PORT/DB (docs/scaling.md)"
        )
    return None


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def probe_host(host: str) -> str:
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return _url_host(host)
