"""``vendor-emulator bench``: measure the emulator on this machine, against a baseline.

Each case starts what it needs on loopback, runs several times and reports the median;
ratios compare with a bare Starlette + uvicorn app run side by side in the same run
(``emulator.bench.baseline``). Targets are the project's published goals
(docs/performance.md).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict

from emulator.bench import cases, inspector, interference
from emulator.bench.report import Row, save, table

CASES: dict[str, Callable[[argparse.Namespace], list[Row]]] = {
    "cold_start": cases.cold_start,
    "get_session": cases.get_session,
    "night_replay": cases.night_replay,
    "kintsugi_v1_predict": cases.kintsugi_v1_predict,
    "memory": cases.memory,
    "inspector_pages": inspector.inspector_pages,
    "journal_stream": inspector.journal_stream,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vendor-emulator bench")
    parser.add_argument("--runs", type=int, default=5, help="repetitions per case (median)")
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each load run")
    parser.add_argument("--json", default="bench-results.json", help="where to save the figures")
    parser.add_argument(
        "--nights",
        type=int,
        default=10_000,
        help="completed nights stored by the memory and inspector_pages cases",
    )
    parser.add_argument(
        "--cases", default=",".join(CASES), help=f"comma-separated subset of {', '.join(CASES)}"
    )
    args = parser.parse_args(argv)
    chosen = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = [c for c in chosen if c not in CASES]
    if unknown:
        parser.error(f"unknown case(s): {', '.join(unknown)}")
    rows: list[Row] = []
    shares: dict[str, interference.Share] = {}
    for name in chosen:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        start = interference.mark()
        try:
            rows.extend(CASES[name](args))
        except cases.Unavailable as exc:
            print(f"skipped {name}: {exc}", file=sys.stderr, flush=True)
            continue
        share = interference.share(start, interference.mark())
        if share is None:
            continue
        shares[name] = share
        if share.total >= interference.WARN_SHARE:
            print(
                f"warning: others took {share.total:.0%} of the CPUs during {name} "
                f"(other processes {share.others:.0%}, hypervisor steal {share.steal:.0%}); "
                "its figures are likely low",
                file=sys.stderr,
                flush=True,
            )
    print(table(rows))
    if shares:
        print(
            "\nCPU taken by others while each case ran (other processes + hypervisor steal): "
            + ", ".join(f"{n} {s.others:.0%} + {s.steal:.0%}" for n, s in shares.items())
        )
    save(rows, args.json, interference={n: asdict(s) for n, s in shares.items()})
    print(f"\nsaved {args.json}")
    return 0 if all(r.met is not False for r in rows) else 1
