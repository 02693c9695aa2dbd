"""JSON from clients, parsed without surprises: every failure is a ``JsonInputError``.

``json.loads`` alone lets hostile input through in three ways: a number of 100,000
digits raises a bare ``ValueError`` (CPython's int-conversion limit), 100,000 nested
arrays raise ``RecursionError``, and ``NaN``/``Infinity`` are accepted, so they come
back out as JSON no other parser reads. ``loads`` turns all three into one error with
a message, and refuses nesting deeper than ``MAX_DEPTH`` (deep values would break
whatever walks them recursively later: copying, rendering, validating).

``loads_in_pieces`` parses a large document (a state snapshot) without any single long
call into C: the containers of its first ``split_depth`` levels are walked here and
each value below them is one ``raw_decode``. Run in a worker thread, it lets the
event loop have the interpreter between pieces, so a 100 MB restore does not stall
other requests (a single ``json.loads`` of it holds the GIL for a second or more).
"""

from __future__ import annotations

import codecs
import json
import math
import re
from collections.abc import Iterator, Sequence
from typing import Any, Final

MAX_DEPTH: Final = 64
_WS: Final = re.compile(r"[ \t\n\r]*")
_DECODE_PIECE: Final = 1024 * 1024
# How much decoded text ``loads_in_pieces`` keeps ahead of where it is.
_LOOKAHEAD: Final = 2 * 1024 * 1024
# For the depth of a piece of valid JSON text: its strings, then all but its brackets,
# then innermost pairs, one level per pass (each a C-speed regex over a short text).
_STRING: Final = re.compile(r'"(?:[^"\\]|\\.)*"')
_NOT_BRACKET: Final = re.compile(r"[^\[\]{}]+")
_INNERMOST: Final = re.compile(r"\[\]|\{\}")


class JsonInputError(ValueError):
    """The body is not JSON this emulator accepts; the message says why."""


def _refuse_constant(name: str) -> Any:
    raise JsonInputError(f"{name} is not JSON (numbers must be finite)")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise JsonInputError(f"{text[:40]} is out of range (numbers must be finite)")
    return value


_DECODER: Final = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite)


def loads(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """The JSON value of ``raw``, or ``JsonInputError``."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        value = _DECODER.decode(text)
    except UnicodeDecodeError as exc:
        raise JsonInputError(f"body is not UTF-8: {exc.reason} at byte {exc.start}") from None
    except RecursionError:
        raise JsonInputError(f"nested deeper than {max_depth} levels") from None
    except JsonInputError:
        raise
    except ValueError as exc:  # JSONDecodeError, and the int-digits limit
        raise JsonInputError(str(exc)) from None
    check_depth(value, max_depth)
    return value


def check_depth(value: Any, max_depth: int = MAX_DEPTH) -> None:
    """``JsonInputError`` if ``value`` nests deeper than ``max_depth`` (iteratively)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > max_depth:
            raise JsonInputError(f"nested deeper than {max_depth} levels")
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


def text_depth(text: str, limit: int) -> int | None:
    """How deep the valid JSON ``text`` nests, or None when deeper than ``limit``."""
    openers = text.count("[") + text.count("{")
    if openers <= limit:
        return openers  # an upper bound, and within the limit: the common case
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    depth = 0
    while brackets:
        if depth >= limit:
            return None
        brackets, found = _INNERMOST.subn("", brackets)
        if not found:
            break  # not reached for valid JSON
        depth += 1
    return depth


def loads_in_pieces(
    raw: bytes | Sequence[bytes], *, split_depth: int, max_depth: int = MAX_DEPTH
) -> Any:
    """What ``loads`` returns, parsed piece by piece (see the module docstring).

    ``raw`` may be the body's chunks as they arrived: they are never joined."""
    parser = _Pieces(_chunks(raw), split_depth, max_depth)
    try:
        value = parser.value(parser.skip(0), 0)
        end = parser.skip(parser.pos)
    except RecursionError:
        raise JsonInputError(f"nested deeper than {max_depth} levels") from None
    except JsonInputError:
        raise
    except ValueError as exc:
        raise JsonInputError(str(exc)) from None
    if end != len(parser.text) or not parser.exhausted:
        raise JsonInputError(f"extra data after the JSON value at character {parser.at(end)}")
    return value


def _chunks(raw: bytes | Sequence[bytes]) -> Iterator[bytes]:
    """The input a MB or so at a time (views of one ``bytes``: no copies)."""
    if isinstance(raw, bytes):
        view = memoryview(raw)
        for start in range(0, len(raw), _DECODE_PIECE):
            yield view[start : start + _DECODE_PIECE].tobytes()
        return
    yield from raw


class _Pieces:
    """A walk over the top containers of one JSON text; values below go to C whole.

    The text is decoded from the bytes a few MB at a time into a sliding window (the
    part already walked is dropped), so no call decodes or copies the whole document.
    Positions are in the window; ``at`` turns one into a character of the document.
    """

    def __init__(self, chunks: Iterator[bytes], split_depth: int, max_depth: int) -> None:
        self.split_depth = split_depth
        self.max_depth = max_depth
        self.pos = 0
        self.text = ""
        self._chunks = chunks
        self._dropped = 0  # characters before the window
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self.exhausted = False
        self._grow(_LOOKAHEAD)

    def at(self, pos: int) -> int:
        return self._dropped + pos

    def _grow(self, size: int) -> None:
        """Decode until the window holds ``size`` characters (or the input ends)."""
        pieces = [self.text]
        have = len(self.text)
        while have < size and not self.exhausted:
            chunk = next(self._chunks, None)
            self.exhausted = chunk is None
            try:
                piece = self._decoder.decode(chunk or b"", final=self.exhausted)
            except UnicodeDecodeError as exc:
                raise JsonInputError(f"body is not UTF-8: {exc.reason}") from None
            pieces.append(piece)
            have += len(piece)
        self.text = "".join(pieces)

    def window(self, pos: int) -> int:
        """Keep ``_LOOKAHEAD`` characters ahead of ``pos``; ``pos`` in the new window."""
        if len(self.text) - pos >= _LOOKAHEAD or self.exhausted:
            return pos
        self._dropped += pos
        self.text = self.text[pos:]
        self._grow(_LOOKAHEAD)
        return 0

    def decode(self, pos: int) -> tuple[Any, int]:
        """One value at ``pos`` by ``raw_decode``; the window doubles while it may be
        cut off by the window's end."""
        while True:
            try:
                return _DECODER.raw_decode(self.text, pos)
            except json.JSONDecodeError:
                if self.exhausted:
                    raise
                self._grow(2 * len(self.text))

    def skip(self, pos: int) -> int:
        pos = self.window(pos)
        match = _WS.match(self.text, pos)
        return match.end() if match else pos

    def fail(self, what: str, pos: int) -> JsonInputError:
        return JsonInputError(f"expected {what} at character {self.at(pos)}")

    def value(self, pos: int, depth: int) -> Any:
        pos = self.window(pos)
        opener = self.text[pos : pos + 1]
        if depth >= self.split_depth or opener not in ("{", "["):
            found, self.pos = self.decode(pos)
            if text_depth(self.text[pos : self.pos], self.max_depth - depth) is None:
                raise JsonInputError(f"nested deeper than {self.max_depth} levels")
            return found
        if depth >= self.max_depth:
            raise JsonInputError(f"nested deeper than {self.max_depth} levels")
        return self.obj(pos + 1, depth) if opener == "{" else self.array(pos + 1, depth)

    def obj(self, pos: int, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        at: int | None = self.first_item(pos, "}")
        while at is not None:
            if not self.text.startswith('"', at):
                raise self.fail("a property name in double quotes", at)
            key, at = self.decode(at)
            at = self.skip(at)
            if not self.text.startswith(":", at):
                raise self.fail("':'", at)
            out[key] = self.value(self.skip(at + 1), depth + 1)
            at = self.next_item("}")
        return out

    def array(self, pos: int, depth: int) -> list[Any]:
        out: list[Any] = []
        at = self.first_item(pos, "]")
        while at is not None:
            out.append(self.value(at, depth + 1))
            at = self.next_item("]")
        return out

    def first_item(self, pos: int, close: str) -> int | None:
        """Just inside a container: where its first item starts, or None (and
        ``self.pos`` past ``close``) when it is empty."""
        pos = self.skip(pos)
        if self.text.startswith(close, pos):
            self.pos = pos + 1
            return None
        return pos

    def next_item(self, close: str) -> int | None:
        """After an item (ending at ``self.pos``): where the next one starts, or None
        (and ``self.pos`` past ``close``) when the container ends."""
        pos = self.skip(self.pos)
        if self.text.startswith(close, pos):
            self.pos = pos + 1
            return None
        if not self.text.startswith(",", pos):
            raise self.fail(f"',' or '{close}'", pos)
        return self.skip(pos + 1)
