"""The ``vendor-emulator`` argument parser: its subcommands, flags and value types.

Every ``serve`` flag's help names its environment twin; ``emulator.cli`` runs what the
parsed arguments ask for. ``bench``, ``record`` and ``drift`` own their options, so
they are listed here only for ``--help``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from emulator import __version__
from emulator.core.config import Parser, seconds_between

Run = Callable[[argparse.Namespace], int]


def build(serve: Run, health_run: Run) -> argparse.ArgumentParser:
    """The whole command line; ``serve`` and ``health_run`` run those subcommands."""
    parser = Parser(
        prog="vendor-emulator",
        description="Local emulator of the Asleep and Kintsugi Voice APIs.",
    )
    parser.add_argument("--version", action="version", version=f"vendor-emulator {__version__}")
    sub = parser.add_subparsers(
        dest="command", metavar="{serve,health,bench,record,drift}", parser_class=Parser
    )

    serve_parser = sub.add_parser("serve", help="run the emulator (default)")
    _serve_flags(serve_parser)
    _serve_world_flags(serve_parser)
    serve_parser.set_defaults(run=serve)

    health = sub.add_parser("health", help="exit 0 if a running emulator answers its health check")
    health.add_argument(
        "--url",
        type=_http_url,
        help="base URL [default: from EMULATOR_ADDRESS_FILE or EMULATOR_PORT]",
    )
    health.add_argument("--timeout", type=seconds_between(0, 3600, ends=False), default=2.0)
    health.set_defaults(run=health_run)

    sub.add_parser("bench", help="measure speed on this machine (docs/performance.md)")
    sub.add_parser("record", help="record traffic to the real vendor, redacted (docs/drift.md)")
    sub.add_parser("drift", help="replay a recording against an emulator, report drift")

    return parser


def _serve_flags(serve: argparse.ArgumentParser) -> None:
    """Where and how to listen, and where the world is kept."""
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


def _serve_world_flags(serve: argparse.ArgumentParser) -> None:
    """The world's start (demo data, clock), the control token, other settings."""
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


def _http_url(text: str) -> str:
    if not text.startswith(("http://", "https://")) or len(text) <= len("https://"):
        raise argparse.ArgumentTypeError(f"{text!r} is not an http:// or https:// URL")
    return text
