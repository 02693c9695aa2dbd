"""The ``vendor-emulator`` command: ``serve`` (the default), ``health``, ``bench``, and
``record`` / ``drift`` (emulator.bench.record, emulator.bench.drift).

Every ``serve`` flag has an environment twin (``--port`` / ``EMULATOR_PORT``); flags
win. Heavy imports happen inside the subcommand so ``health`` starts in milliseconds.

A configuration the emulator cannot use (a bad flag, variable, ``--set`` value or
file) is one line on stderr and exit status 2, never a traceback: argparse's own
errors included (``Parser``), and the values checked by ``emulator.settings`` (``check``).
"""

from __future__ import annotations

import argparse
import base64
import os
import pickle
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from emulator import __version__
from emulator.core.config import Parser

DEFAULT_ADDRESS_FILE_ENV = "EMULATOR_ADDRESS_FILE"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or (args[0].startswith("-") and args[0] not in ("-h", "--help", "--version")):
        args.insert(0, "serve")
    if args[0] == "bench":
        # The bench command owns its own options (argparse cannot pass them through).
        from emulator.bench import main as bench_main

        return bench_main(args[1:])
    if args[0] in ("record", "drift"):  # docs/drift.md; each owns its options too
        from emulator.bench import drift, record

        return (record.main if args[0] == "record" else drift.main)(args[1:])
    parser = _parser()
    ns = parser.parse_args(args)
    try:
        code: int = ns.run(ns)
    except KeyboardInterrupt:  # pragma: no cover - interactive
        return 130
    return code


def _parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="vendor-emulator",
        description="Local emulator of the Asleep and Kintsugi Voice APIs.",
    )
    parser.add_argument("--version", action="version", version=f"vendor-emulator {__version__}")
    sub = parser.add_subparsers(
        dest="command", metavar="{serve,health,bench,record,drift}", parser_class=Parser
    )

    serve = sub.add_parser("serve", help="run the emulator (default)")
    serve.add_argument("--host", help="address to bind [EMULATOR_HOST, default 127.0.0.1]")
    serve.add_argument(
        "--port", type=int, help="port to bind, 0 for any [EMULATOR_PORT, default 8080]"
    )
    serve.add_argument(
        "--seed", type=int, help="seed for every generated value [EMULATOR_SEED, default 0]"
    )
    serve.add_argument(
        "--log-level",
        choices=["critical", "error", "warning", "info", "debug"],
        help="log level [EMULATOR_LOG_LEVEL, default info]",
    )
    serve.add_argument("--config", help="tenant/plan config file, TOML or JSON [EMULATOR_CONFIG]")
    serve.add_argument("--state-file", help="keep state in this SQLite file [EMULATOR_STATE_FILE]")
    serve.add_argument(
        "--state-url",
        metavar="redis://HOST:PORT/DB",
        help="share one world with every emulator process using this Redis (or Valkey) "
        "database [EMULATOR_STATE_URL] (docs/scaling.md)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        help="server processes on this machine; more than one needs --state-url "
        "[EMULATOR_WORKERS, default 1]",
    )
    serve.add_argument(
        "--journal-size", type=int, help="request journal capacity, 0 = off [EMULATOR_JOURNAL_SIZE]"
    )
    serve.add_argument(
        "--demo", action="store_true", default=None, help="start with demo data [EMULATOR_DEMO]"
    )
    serve.add_argument(
        "--clock-start",
        metavar="INSTANT",
        help="start the virtual clock at this ISO 8601 instant, e.g. 2025-01-15T02:50:29Z "
        "[EMULATOR_CLOCK_START, default: wall clock]",
    )
    serve.add_argument(
        "--freeze-clock",
        action="store_true",
        default=None,
        help="keep the virtual clock still until told to move [EMULATOR_CLOCK_FROZEN]",
    )
    serve.add_argument(
        "--control-token",
        metavar="TOKEN",
        help="bearer token the control API (/_emulator) requires; prefer the variable, "
        "a flag shows in the process list [EMULATOR_CONTROL_TOKEN]",
    )
    serve.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.FIELD=VALUE",
        help="any other setting, e.g. kintsugi.min_voice_seconds=5 (repeatable)",
    )
    serve.add_argument(
        "--check",
        action="store_true",
        help="check the configuration (flags, environment, files), build the app, then "
        "exit: 0 if it would start, 2 with the reason if not",
    )
    serve.set_defaults(run=_serve)

    health = sub.add_parser("health", help="exit 0 if a running emulator answers its health check")
    health.add_argument(
        "--url",
        type=_http_url,
        help="base URL [default: from EMULATOR_ADDRESS_FILE or EMULATOR_PORT]",
    )
    health.add_argument("--timeout", type=_positive_seconds, default=2.0)
    health.set_defaults(run=_health)

    sub.add_parser("bench", help="measure speed on this machine (docs/performance.md)")
    sub.add_parser("record", help="record traffic to the real vendor, redacted (docs/drift.md)")
    sub.add_parser("drift", help="replay a recording against an emulator, report drift")

    return parser


def _serve(ns: argparse.Namespace) -> int:
    from emulator import settings as preflight
    from emulator.settings import Settings

    try:
        settings = Settings.from_env(
            os.environ,
            host=ns.host,
            port=ns.port,
            seed=ns.seed,
            log_level=ns.log_level,
            config=ns.config,
            state_file=ns.state_file,
            state_url=ns.state_url,
            workers=ns.workers,
            journal_size=ns.journal_size,
            demo=ns.demo,
            clock_start=ns.clock_start,
            clock_frozen=ns.freeze_clock,
            control_token=ns.control_token,
        ).with_dotted(dict(_assignment(a) for a in ns.set))
        preflight.check(settings, flags=_FLAGS)
    except ValueError as exc:
        return _config_error(exc)
    if ns.check:
        return _check_only(settings)
    return serve(settings)


# The settings with a flag of their own (the rest take --set).
_FLAGS = {
    name: "--" + name.replace("_", "-")
    for name in (
        "host",
        "port",
        "seed",
        "log_level",
        "config",
        "state_file",
        "state_url",
        "workers",
        "journal_size",
    )
} | {"clock_start": "--clock-start", "clock_frozen": "--freeze-clock", "demo": "--demo"}


def _config_error(exc: BaseException | str) -> int:
    print(f"vendor-emulator: error: {' '.join(str(exc).split())}", file=sys.stderr)
    return 2


def _assignment(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep:
        raise ValueError(f"--set takes SECTION.FIELD=VALUE, got {text!r}")
    return key.strip(), value


def _check_only(settings: object) -> int:
    """``serve --check``: build the app (which opens the config and state files) and stop."""
    from emulator.app import create_app
    from emulator.settings import Settings

    assert isinstance(settings, Settings)
    problem = _workers_problem(settings)
    if problem is not None:
        return _config_error(problem)
    try:
        create_app(settings)
    except (OSError, ValueError) as exc:
        return _config_error(exc)
    print("configuration ok")
    return 0


def serve(settings: object) -> int:
    """Bind, say where, and serve until interrupted."""
    import dataclasses
    import logging

    import uvicorn

    from emulator.app import create_app
    from emulator.settings import Settings

    assert isinstance(settings, Settings)
    level = settings.log_level.lower()
    logging.basicConfig(level=level.upper(), format="%(levelname)s %(name)s: %(message)s")
    problem = _workers_problem(settings)
    if problem is not None:
        return _config_error(problem)
    try:
        sock = _bind(settings.host, settings.port)
    except (OSError, OverflowError) as exc:
        return _config_error(f"cannot listen on {settings.host}:{settings.port}: {exc}")
    host, port = sock.getsockname()[:2]
    # The port actually bound (--port 0): the demo's webhooks name this address.
    settings = dataclasses.replace(settings, port=port)
    try:
        # With several workers this only checks the settings (and that the shared store
        # answers): each worker builds its own app.
        app = create_app(settings)
    except (OSError, ValueError) as exc:
        sock.close()
        return _config_error(exc)
    url = f"http://{_url_host(host)}:{port}"
    ui = f"http://{_probe_host(host)}:{port}/_emulator/ui/"
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
            Path(address_file).write_text(f"{_probe_host(host)}:{port}\n", encoding="utf-8")
        except OSError as exc:
            sock.close()
            return _config_error(f"cannot write the address file {address_file}: {exc}")
    print(
        f"vendor-emulator {__version__} listening on {url} serving "
        "Asleep (/ai/v1, /data/v1..v3) and Kintsugi Voice (/v1, /v2); control API at /_emulator;"
        f" inspector at {ui}",
        flush=True,
    )
    if settings.demo:
        print(f"demo data for API key demo-key: open {ui}?tenant=demo-key", flush=True)
    quiet = level != "debug"
    options: dict[str, Any] = {
        "log_level": "warning" if quiet else "debug",
        "access_log": not quiet,
        "lifespan": "on",
        "timeout_keep_alive": 30,
        "timeout_graceful_shutdown": 10,
    }
    logging.getLogger("uvicorn.access").addFilter(_mask_access_line)
    if settings.workers > 1:
        from uvicorn.supervisors import Multiprocess

        # Each worker is a fresh interpreter (spawn) that builds the app from the same
        # settings, handed over in the environment, and serves the one bound socket.
        os.environ[WORKER_SETTINGS_ENV] = base64.b64encode(pickle.dumps(settings)).decode()
        config = uvicorn.Config(
            "emulator.cli:worker_app", factory=True, workers=settings.workers, **options
        )
        Multiprocess(config, sockets=[sock]).run()
        return 0
    config = uvicorn.Config(app, **options)
    uvicorn.Server(config).run(sockets=[sock])
    return 0


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


WORKER_SETTINGS_ENV = "EMULATOR__WORKER_SETTINGS"


def _workers_problem(settings: Any) -> str | None:
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


def worker_app() -> Any:
    """The app of one ``serve --workers`` worker process (uvicorn calls this factory)."""
    import logging

    from emulator.app import create_app

    settings = pickle.loads(base64.b64decode(os.environ[WORKER_SETTINGS_ENV]))
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("uvicorn.access").addFilter(_mask_access_line)
    return create_app(settings)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets whose proto says TCP;
    # without it (no uvloop) every response waits ~40 ms on Nagle + delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _probe_host(host: str) -> str:
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return _url_host(host)


def _http_url(text: str) -> str:
    if not text.startswith(("http://", "https://")) or len(text) <= len("https://"):
        raise argparse.ArgumentTypeError(f"{text!r} is not an http:// or https:// URL")
    return text


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value < 3600:
        raise argparse.ArgumentTypeError(f"{text!r} is not between 0 and 3600 seconds")
    return value


def _health(ns: argparse.Namespace) -> int:
    import json
    import urllib.request

    base = ns.url or _local_base_url()
    try:
        with urllib.request.urlopen(
            f"{base.rstrip('/')}/_emulator/health", timeout=ns.timeout
        ) as resp:
            body = json.loads(resp.read())
            ok = resp.status == 200 and body.get("status") == "ok"
    except (OSError, ValueError) as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    print("healthy" if ok else "unhealthy")
    return 0 if ok else 1


def _local_base_url() -> str:
    address_file = os.environ.get(DEFAULT_ADDRESS_FILE_ENV)
    if address_file and Path(address_file).is_file():
        return "http://" + Path(address_file).read_text(encoding="utf-8").strip()
    host = _probe_host(os.environ.get("EMULATOR_HOST", "127.0.0.1"))
    return f"http://{host}:{os.environ.get('EMULATOR_PORT', '8080')}"
