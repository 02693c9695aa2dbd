"""``vendor-emulator bench``: measure the emulator on this machine, against a baseline.

Each case starts what it needs on loopback, runs several times and reports the median;
ratios compare with a bare Starlette + uvicorn app run side by side in the same run
(``emulator.bench.baseline``). Targets are the project's published goals
(docs/performance.md). Progress goes to stderr (``emulator.bench.progress``); a case
this machine cannot run (no ``wrk``) is reported as skipped, in the table and the JSON.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import asdict

from emulator.bench import cases, inspector, interference, scaling
from emulator.bench.progress import Skipped, current
from emulator.bench.report import Row, save, table
from emulator.core.config import seconds_between
from emulator.settings import ConfigError, check_writable_file

CASES: dict[str, Callable[[argparse.Namespace], list[Row]]] = {
    "cold_start": cases.cold_start,
    "get_session": cases.get_session,
    "get_session_scaling": scaling.get_session_scaling,
    "night_replay": cases.night_replay,
    "kintsugi_v1_predict": cases.kintsugi_v1_predict,
    "memory": cases.memory,
    "inspector_pages": inspector.inspector_pages,
    "journal_stream": inspector.journal_stream,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    chosen = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = [c for c in chosen if c not in CASES]
    if unknown:
        _parser().error(f"unknown case(s): {', '.join(unknown)}; known: {', '.join(CASES)}")
    try:
        check_writable_file(args.json, "--json")
    except ConfigError as exc:
        _parser().error(str(exc))
    rows: list[Row] = []
    shares: dict[str, interference.Share] = {}
    skipped: dict[str, str] = {}
    progress = current()
    for name in chosen:
        start = interference.mark()
        try:
            with progress.case(name):
                rows.extend(CASES[name](args))
        except Skipped as exc:
            skipped[name] = str(exc)
            continue
        share = interference.share(start, interference.mark())
        if share is None:
            continue
        shares[name] = share
        if share.total >= interference.WARN_SHARE:
            progress.say(
                f"warning: others took {share.total:.0%} of the CPUs during {name} "
                f"(other processes {share.others:.0%}, hypervisor steal {share.steal:.0%}); "
                "its figures are likely low"
            )
    print(table(rows))
    for name, reason in skipped.items():
        print(f"SKIPPED {name}: {reason}")
    if shares:
        print(
            "\nCPU taken by others while each case ran (other processes + hypervisor steal): "
            + ", ".join(f"{n} {s.others:.0%} + {s.steal:.0%}" for n, s in shares.items())
        )
    save(
        rows,
        args.json,
        interference={n: asdict(s) for n, s in shares.items()},
        skipped=skipped,
    )
    print(f"\nsaved {args.json}")
    return 0 if all(r.met is not False for r in rows) else 1


def _parser() -> argparse.ArgumentParser:
    from emulator.core.config import Parser

    parser = Parser(prog="vendor-emulator bench")
    parser.add_argument(
        "--runs", type=_at_least(1), default=5, help="repetitions per case (median)"
    )
    parser.add_argument(
        "--seconds",
        type=seconds_between(1, 3600, ends=True),  # wrk takes whole seconds, at least one
        default=5.0,
        help="duration of each load run (whole seconds, 1-3600)",
    )
    parser.add_argument("--json", default="bench-results.json", help="where to save the figures")
    parser.add_argument(
        "--nights",
        type=_at_least(1),
        default=10_000,
        help="completed nights stored by the memory and inspector_pages cases",
    )
    parser.add_argument(
        "--cases", default=",".join(CASES), help=f"comma-separated subset of {', '.join(CASES)}"
    )
    return parser


def _at_least(low: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{value} is less than {low}")
        return value

    return parse
