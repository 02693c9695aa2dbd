"""Structural diff of two OpenAPI documents: ``python -m emulator.bench.openapi_diff OLD NEW``.

Prints one line per difference, keyed by a JSON pointer: a subtree only in one document
is one line (``+`` added, ``-`` removed), a changed leaf shows both values. Refs that
point at renamed components are compared by name, so a rename shows once. Used to
write docs/openapi-diff.md (the generated document against the hand-written one).
``OLD``/``NEW`` are files, or ``-`` for the document of this checkout's app.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import Any


def diff(old: Any, new: Any, path: str = "") -> Iterator[str]:
    """Differences between ``old`` and ``new`` under ``path`` (a JSON pointer)."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=str):
            where = f"{path}/{_escape(str(key))}"
            if key not in new:
                yield f"- {where}"
            elif key not in old:
                yield f"+ {where}"
            else:
                yield from diff(old[key], new[key], where)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        if all(isinstance(o, dict) and "name" in o for o in old + new):
            yield from diff(_by_name(old), _by_name(new), path)
        else:
            for index, (a, b) in enumerate(zip(old, new, strict=True)):
                yield from diff(a, b, f"{path}/{index}")
    elif isinstance(old, list) and isinstance(new, list) and _named(old + new):
        yield from diff(_by_name(old), _by_name(new), path)
    elif old != new:
        yield f"~ {path}: {_short(old)} -> {_short(new)}"


def _named(items: list[Any]) -> bool:
    return bool(items) and all(isinstance(o, dict) and "name" in o for o in items)


def _by_name(items: list[Any]) -> dict[str, Any]:
    """Parameters compared by name (and place), not by position."""
    return {f"{o['name']}@{o.get('in', '')}": o for o in items}


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 160 else text[:157] + "..."


def _load(name: str) -> Any:
    if name != "-":
        with open(name, encoding="utf-8") as handle:
            return json.load(handle)
    from emulator import asleep, kintsugi
    from emulator.control.openapi import for_vendors

    return for_vendors((asleep.vendor(), kintsugi.vendor())).built()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("old", help="the earlier document (a file)")
    parser.add_argument("new", help="the later document (a file, or - for this checkout's)")
    parser.add_argument("--prefix", default="", help="only differences under this pointer")
    args = parser.parse_args(argv)
    lines = [
        line for line in diff(_load(args.old), _load(args.new)) if line[2:].startswith(args.prefix)
    ]
    sys.stdout.write("".join(f"{line}\n" for line in lines))
    print(f"{len(lines)} differences", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
