"""``vendor-emulator drift DIR --target URL``: replay a recording, report what differs.

Each recorded request (``emulator.bench.record``) is sent to the target in order and
its answer compared with the recorded one field by field (``emulator.bench.compare``),
enum values checked against the target's own OpenAPI document
(``/_emulator/openapi.json``). State carries forward: an id the recorded answer held
at some field (``session_id``, ``user_id``, any ``id`` or ``*_id``) that the target
answered differently at the same step and field is replaced by the target's in every
later request (path segments, query, headers, bodies), so stateful flows replay. Audio
replaced by stubs at recording is replaced by stand-ins (``emulator.bench.standin``).

Exit status: 0 no drift, 1 drift, 2 the recording or the target could not be used.
docs/drift.md is the guide.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import httpx

from emulator.bench.compare import Difference, compare, is_id_key, truncate
from emulator.bench.exchange import decode_body, encode_body, json_of, rewrite_request
from emulator.bench.spec_enums import SpecEnums
from emulator.bench.standin import StandIns

TIMEOUT = 120.0


class RecordingError(ValueError):
    """The directory does not hold a usable recording."""


@dataclass
class Step:
    step: int
    method: str
    path: str
    status: int
    differences: list[Difference] = field(default_factory=list)


def load(directory: Path) -> list[dict[str, Any]]:
    """The recorded exchanges, in step order."""
    if not directory.is_dir():
        raise RecordingError(f"{directory} is not a directory")
    exchanges = []
    for path in sorted(directory.glob("[0-9]*.json")):
        try:
            exchange = json.loads(path.read_text(encoding="utf-8"))
            _ = exchange["request"]["method"], exchange["response"]["status"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise RecordingError(f"{path}: not a recorded exchange ({exc})") from None
        exchanges.append(exchange)
    if not exchanges:
        raise RecordingError(f"{directory} holds no recorded exchanges (000001.json, ...)")
    return exchanges


class Replayer:
    """Sends recorded requests to one target, carrying ids forward."""

    def __init__(self, http: httpx.Client, spec: SpecEnums, api_key: str | None = None) -> None:
        self.http = http
        self.spec = spec
        self.api_key = api_key
        self.ids: dict[str, str] = {}  # recorded id -> the target's
        self.audio = StandIns()

    def replay(self, exchange: dict[str, Any]) -> Step:
        request = rewrite_request(exchange["request"], self.ids)
        headers = dict(request["headers"])
        if self.api_key is not None and "x-api-key" in headers:
            headers["x-api-key"] = self.api_key
        content, content_type = encode_body(request["body"], self.audio)
        headers.pop("content-type", None)
        if content_type is not None:
            headers["content-type"] = content_type
        answer = self.http.request(
            request["method"],
            request["path"],
            params=[tuple(pair) for pair in request["query"]],
            headers=headers,
            content=content,
        )
        wanted = ("content-type", "retry-after")
        kept = {k: answer.headers[k] for k in wanted if k in answer.headers}
        body = decode_body(answer.content, answer.headers.get("content-type"), _digest)
        enums = self.spec.for_response(request["method"], request["path"], answer.status_code)
        found = compare(exchange["response"], answer.status_code, kept, body, enums)
        self._learn(json_of(exchange["response"]["body"]), json_of(body), "")
        step = int(exchange.get("step", 0))
        return Step(step, request["method"], request["path"], answer.status_code, found)

    def _learn(self, recorded: Any, target: Any, key: str) -> None:
        if isinstance(recorded, dict) and isinstance(target, dict):
            for name in recorded.keys() & target.keys():
                self._learn(recorded[name], target[name], name)
        elif isinstance(recorded, list) and isinstance(target, list):
            for x, y in zip(recorded, target, strict=False):
                self._learn(x, y, key)
        elif _new_id(recorded, target, key):
            self.ids[recorded] = target


def _new_id(recorded: Any, target: Any, key: str) -> bool:
    """An id (by its field's name) the target gave a different value."""
    different = isinstance(recorded, str) and isinstance(target, str) and recorded != target
    return different and bool(recorded) and is_id_key(key)


def _digest(data: bytes, content_type: str | None, filename: str | None) -> dict[str, Any]:
    return {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def report(steps: Sequence[Step], out: TextIO) -> bool:
    """Print the differences; whether there was drift."""
    drifted = [s for s in steps if s.differences]
    for s in drifted:
        print(f"step {s.step}  {s.method} {s.path}  -> {s.status}", file=out)
        for difference in truncate(s.differences):
            print(f"  {difference}", file=out)
    total = sum(len(s.differences) for s in drifted)
    if drifted:
        print(
            f"drift: {len(drifted)} of {len(steps)} exchanges differ "
            f"({total} difference{'s' if total != 1 else ''})",
            file=out,
        )
    else:
        print(
            f"no drift: {len(steps)} exchanges replayed; statuses, keys, types, enum values "
            "and error bodies match",
            file=out,
        )
    return bool(drifted)


def main(argv: Sequence[str] | None = None) -> int:
    from emulator.core.config import Parser

    parser = Parser(
        prog="vendor-emulator drift",
        description="Replay a recording against an emulator and report what differs.",
    )
    parser.add_argument("recording", help="directory written by `vendor-emulator record`")
    parser.add_argument("--target", required=True, help="the emulator's base URL")
    parser.add_argument("--api-key", help="send this X-API-Key instead of the recorded ones")
    parser.add_argument(
        "--reset", action="store_true", help="POST /_emulator/reset on the target first"
    )
    args = parser.parse_args(argv)
    if not args.target.startswith(("http://", "https://")):
        parser.error(f"--target must be an http(s) URL, not {args.target!r}")
    try:
        exchanges = load(Path(args.recording))
        with httpx.Client(base_url=args.target.rstrip("/"), timeout=TIMEOUT) as http:
            if args.reset:
                http.post("/_emulator/reset").raise_for_status()
            spec = SpecEnums(_document(http))
            print(f"replaying {len(exchanges)} exchanges from {args.recording} to {args.target}")
            replayer = Replayer(http, spec, args.api_key)
            steps = [replayer.replay(e) for e in exchanges]
    except RecordingError as exc:
        print(f"vendor-emulator drift: error: {exc}", file=sys.stderr)
        return 2
    except httpx.HTTPError as exc:
        print(f"vendor-emulator drift: error: target {args.target}: {exc!r}", file=sys.stderr)
        return 2
    return 1 if report(steps, sys.stdout) else 0


def _document(http: httpx.Client) -> dict[str, Any] | None:
    answer = http.get("/_emulator/openapi.json")
    if answer.status_code != 200:
        print(
            "note: the target serves no /_emulator/openapi.json; enum values are compared "
            "by name only",
            file=sys.stderr,
        )
        return None
    document: dict[str, Any] = answer.json()
    return document
