"""Field by field: how a target's answer differs from the recorded one.

What counts as drift (what a client could trip over), and what does not:

* status code, media type, and the presence of ``retry-after``;
* JSON: missing and extra keys, value types (null, boolean, integer, number, string,
  array, object), array lengths;
* enum values: a recorded value the target's OpenAPI document does not list for that
  field is drift; two different values that are both listed are not (a label or a
  status that differs because the result did); without a listed enum, fields named like
  a code (``status``, ``state``, ``error``, ``code``, ``event``, ``type``...) are
  compared as values;
* error bodies (either status 400 or more): every string is compared as a value, so
  error codes and messages must match;
* ids and timestamps are compared by shape only (a UUID for a UUID, ``9999-99-99T...Z``
  for the same pattern), and pseudonyms of the recording (``redacted-...``) not at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from emulator.bench.exchange import Body, json_of, media_type
from emulator.bench.redact import is_pseudonym

Path = tuple[str, ...]
Enums = dict[Path, frozenset[str]]
MAX_SHOWN: Final = 20
CODE_KEYS: Final = frozenset(
    {"status", "state", "error", "code", "event", "type", "kind", "result_code", "detail_code"}
)
_TIMESTAMP = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$"
)
_UUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_HEX = re.compile(r"^[0-9a-f]{16,}$|^[0-9A-F]{16,}$")
_TOKEN = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]{0,63}$")


@dataclass(frozen=True, slots=True)
class Difference:
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def timestamp_shape(value: str) -> str | None:
    if not _TIMESTAMP.match(value):
        return None
    return re.sub(r"\.9+", ".F", re.sub(r"\d", "9", value))


def id_shape(value: str) -> str:
    if _UUID.match(value):
        return "uuid"
    if _HEX.match(value):
        return "hex"
    # Runs of letters and digits by what they may hold (a random run of either may come
    # out all letters), separators as they are: "20250114220000_d7zwn" is "9_a".
    return "".join(_run_class(run) for run in re.split(r"([^A-Za-z0-9]+)", value))


def _run_class(run: str) -> str:
    if not run or not run.isalnum():
        return run
    if run.isdigit():
        return "9"
    lower, upper = run.lower() == run, run.upper() == run
    return "a" if lower else "A" if upper else "Aa"


def is_id_key(key: str) -> bool:
    return key == "id" or key.endswith(("_id", "Id"))


def compare(
    recorded: dict[str, Any], status: int, headers: dict[str, str], body: Body, enums: Enums
) -> list[Difference]:
    """The differences between a recorded response and the target's."""
    found: list[Difference] = []
    if recorded["status"] != status:
        found.append(Difference("status", f"recorded {recorded['status']}, target {status}"))
    theirs, ours = recorded.get("headers", {}), headers
    if media_type(theirs.get("content-type")) != media_type(ours.get("content-type")):
        found.append(
            Difference(
                "content-type",
                f"recorded {theirs.get('content-type')!r}, target {ours.get('content-type')!r}",
            )
        )
    if "retry-after" in theirs and "retry-after" not in ours:
        found.append(Difference("retry-after", "recorded a Retry-After header, target none"))
    error = recorded["status"] >= 400 or status >= 400
    rbody = recorded["body"]
    if rbody["kind"] != body["kind"]:
        found.append(Difference("body", f"recorded {rbody['kind']}, target {body['kind']}"))
    elif rbody["kind"] == "json":
        found += _walk(json_of(rbody), json_of(body), (), enums, error)
    elif rbody["kind"] == "text" and error and rbody["text"] != body["text"]:
        found.append(Difference("body", f"recorded {rbody['text']!r}, target {body['text']!r}"))
    return found


def _where(path: Path) -> str:
    return "$" + "".join(p if p.startswith("[") else f".{p}" for p in path)


def _walk(mine: Any, theirs: Any, path: Path, enums: Enums, error: bool) -> Iterator[Difference]:
    a, b = kind(mine), kind(theirs)
    if a != b:
        yield Difference(_where(path), f"type: recorded {a}, target {b}")
    elif a == "object":
        for key in sorted(set(mine) - set(theirs)):
            yield Difference(_where((*path, key)), "missing in the target's answer")
        for key in sorted(set(theirs) - set(mine)):
            yield Difference(_where((*path, key)), "not in the recorded answer")
        for key in sorted(set(mine) & set(theirs)):
            yield from _walk(mine[key], theirs[key], (*path, key), enums, error)
    elif a == "array":
        if len(mine) != len(theirs):
            yield Difference(_where(path), f"length: recorded {len(mine)}, target {len(theirs)}")
        for index, (x, y) in enumerate(zip(mine, theirs, strict=False)):
            yield from _walk(x, y, (*path, f"[{index}]"), enums, error)
    elif a == "string":
        yield from _strings(mine, theirs, path, enums, error)


def _strings(mine: str, theirs: str, path: Path, enums: Enums, error: bool) -> Iterator[Difference]:
    key = next((p for p in reversed(path) if not p.startswith("[")), "")
    if is_pseudonym(mine) or mine == theirs:
        return
    shape = timestamp_shape(mine)
    if shape is not None:
        other = timestamp_shape(theirs)
        if other != shape:
            shown = other or repr(theirs)
            yield Difference(_where(path), f"timestamp shape: recorded {shape}, target {shown}")
        return
    if is_id_key(key) or _UUID.match(mine):
        if id_shape(mine) != id_shape(theirs):
            yield Difference(
                _where(path), f"id shape: recorded {id_shape(mine)}, target {id_shape(theirs)}"
            )
        return
    allowed = enum_at(enums, path)
    if allowed is not None:
        if mine not in allowed:
            listed = ", ".join(sorted(allowed))
            what = f"enum value {mine!r} is not one the target lists ({listed})"
            yield Difference(_where(path), what)
        return
    if error or (key in CODE_KEYS and _TOKEN.match(mine) and _TOKEN.match(theirs)):
        yield Difference(_where(path), f"value: recorded {mine!r}, target {theirs!r}")


def enum_at(enums: Enums, path: Path) -> frozenset[str] | None:
    """The enum listed for a data path (array indexes are ``[]``, unknown keys ``*``)."""
    general = tuple("[]" if p.startswith("[") else p for p in path)
    if general in enums:
        return enums[general]
    starred = (*general[:-1], "*") if general else general
    return enums.get(starred)


def truncate(found: list[Difference]) -> list[Difference]:
    if len(found) <= MAX_SHOWN:
        return found
    more = Difference("...", f"and {len(found) - MAX_SHOWN} more differences")
    return [*found[:MAX_SHOWN], more]
