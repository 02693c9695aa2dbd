"""The ``vendor-emulator`` command: ``serve`` (the default), ``health``, ``bench``, and
``record`` / ``drift`` (emulator.bench.record, emulator.bench.drift). This module
turns the parsed command line (``emulator.cli.args``) into settings and runs the
subcommand; binding and serving is ``emulator.cli.serving``.

Every ``serve`` flag has an environment twin (``--port`` / ``EMULATOR_PORT``); flags
win. Heavy imports happen inside the subcommand so ``health`` starts in milliseconds.

A configuration the emulator cannot use (a bad flag, variable, ``--set`` value or
file) is one line on stderr and exit status 2, never a traceback: argparse's own
errors included (``Parser``), and the values checked by ``emulator.settings`` (``check``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from emulator.cli import args as cli_args
from emulator.cli import serving
from emulator.cli.serving import DEFAULT_ADDRESS_FILE_ENV, config_error, probe_host, workers_problem


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
    parser = cli_args.build(_serve, _health)
    ns = parser.parse_args(args)
    try:
        code: int = ns.run(ns)
    except KeyboardInterrupt:  # pragma: no cover - interactive
        return 130
    return code


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
        return config_error(exc)
    if ns.check:
        return _check_only(settings)
    return serving.serve(settings)


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
    problem = workers_problem(settings)
    if problem is not None:
        return config_error(problem)
    try:
        create_app(settings)
    except (OSError, ValueError) as exc:
        return config_error(exc)
    print("configuration ok")
    return 0


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
    host = probe_host(os.environ.get("EMULATOR_HOST", "127.0.0.1"))
    return f"http://{host}:{os.environ.get('EMULATOR_PORT', '8080')}"
