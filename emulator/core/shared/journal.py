"""The request journal of every replica as one capped Redis stream (``ve:journal``).

One shared stream, not per-replica journals merged when read: a replica can read it
alone, and ``journal_size`` bounds the whole cluster's journal as it bounds one
process's. Entries are numbered by one Redis counter, so ids are unique and in the
order requests finished over all replicas.

Writing costs the request no round trip: rows are sent on the next turn of the event
loop after the response, all the rows of that turn in one call (under load, several),
without waiting for the answer (``aio``). So by the time a client has read a response
and asked any replica for the journal, its entry is there. (A writer thread was tried:
its GIL hand-overs cost the event loop more than the calls saved.)

Reading first sends this replica's rows not sent yet, then copies the entries it has
not seen into the in-memory ring of ``Journal``, whose queries then run unchanged. A
clear moves ``ve:journal:gen``; a replica that sees it move rebuilds its ring.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from emulator.core.journal import Entry, Headers, Journal, Row
from emulator.core.secrets import resolve
from emulator.core.shared.scripts import PREFIX, decode

if TYPE_CHECKING:
    from emulator.core.shared.db import SharedDB

log = logging.getLogger("emulator.core.journal")

STREAM: Final = PREFIX + "journal"
_GEN: Final = STREAM + ":gen"

# KEYS: stream, id counter; ARGV: capacity, row JSON*. Trimming is approximate ("~",
# whole stream nodes at a time: far cheaper); the ring a replica reads is exact.
_APPEND: Final = """
local last = redis.call('INCRBY', KEYS[2], #ARGV - 1)
local id = last - (#ARGV - 1)
for i = 2, #ARGV do
  id = id + 1
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', id .. ' ' .. ARGV[i])
end
return 1
"""

# KEYS: stream, generation; ARGV: API key or '' for all -> entries removed
_CLEAR: Final = """
redis.call('INCR', KEYS[2])
if ARGV[1] == '' then
  local n = redis.call('XLEN', KEYS[1])
  redis.call('DEL', KEYS[1])
  return n
end
local n = 0
for _, item in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do
  local row = cjson.decode(string.match(item[2][2], '^%d+ (.*)$'))
  if row[7] == ARGV[1] then
    redis.call('XDEL', KEYS[1], item[1])
    n = n + 1
  end
end
return n
"""


class SharedJournal(Journal):
    """``Journal`` on the shared stream (module doc)."""

    def __init__(
        self, db: SharedDB, size: int, classify: Callable[[str], str] = lambda path: "none"
    ) -> None:
        super().__init__(size, classify)
        self.db = db
        self._outgoing: list[Row] = []
        self._timer: asyncio.Handle | None = None
        self._seen = "0-0"  # the last stream id copied into the ring
        self._gen: int | None = None
        self._append = db.client.register_script(_APPEND)
        self._clear = db.client.register_script(_CLEAR)

    # ------------------------------------------------------------------ writing
    def append(self, row: Row) -> None:
        if not self.size:
            return
        self._outgoing.append(row)
        if self._timer is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        self._timer = loop.call_soon(self.flush)

    def flush(self, *, wait: bool = False) -> None:
        """Send the rows not sent yet (scheduled after each first new row of a turn);
        ``wait``: with the blocking client, so they are in Redis when this returns."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        rows, self._outgoing = self._outgoing, []
        if not rows:
            return
        keys, args = [STREAM, STREAM + ":id"], [self.size, *map(_encode, rows)]
        if not wait and self.db.can_fire():
            future = self.db.fire_script(self._append, keys, args)
            future.add_done_callback(lambda done: self._fired(done, keys, args))
            return
        self._send(keys, args)

    def _send(self, keys: list[str], args: list[Any]) -> None:
        try:
            self.db.run(self._append, keys, args)
        except Exception as exc:  # the journal must never fail a request
            log.warning("%d journal entries not recorded: %s", len(args) - 1, exc)

    def _fired(self, done: asyncio.Future[Any], keys: list[str], args: list[Any]) -> None:
        if not done.cancelled() and done.exception() is not None:
            self._send(keys, args)  # e.g. NOSCRIPT: the blocking client loads the script

    # ------------------------------------------------------------------ reading
    def _refresh(self) -> None:
        """Copy what the stream holds beyond what this replica's ring has seen."""
        if not self.size:
            return
        self.flush(wait=True)
        gen = int(self.db.run(self.db.client.get, _GEN) or 0)
        if gen != self._gen:
            self._gen, self._seen = gen, "0-0"
            self._rows.clear()
        newer = self.db.run(self.db.client.xrange, STREAM, f"({self._seen}", "+")
        for stream_id, fields in newer:
            number, _, text = decode(fields[b"e"]).partition(" ")
            self._rows.append((int(number), _decode(text)))
            self._seen = decode(stream_id)

    def query(self, **filters: Any) -> list[Entry]:
        self._refresh()
        return super().query(**filters)

    def get(self, entry_id: int) -> Entry | None:
        self._refresh()
        return super().get(entry_id)

    @property
    def last_id(self) -> int:
        self._refresh()
        return self._rows[-1][0] if self.size and self._rows else 0

    def clear(self, api_key: str | None = None) -> int:
        self.flush(wait=True)
        if api_key is not None:
            # The script compares keys exactly; a masked fingerprint (as the journal
            # lists keys) names the key of the rows it belongs to, as ``Journal.clear``
            # matches it (``key_matches``).
            self._refresh()
            api_key = resolve(api_key, (row[6] for _, row in self._rows))
        removed = int(self.db.run(self._clear, [STREAM, _GEN], [api_key or ""]))
        self._refresh()
        return removed

    def __len__(self) -> int:
        self._refresh()
        return super().__len__()


def _encode(row: Row) -> str:
    """A row as JSON: header bytes as latin-1 text, the excerpt as base64."""
    (*summary, request_headers, response_headers, size, excerpt) = row
    return json.dumps(
        [
            *summary,
            _headers_out(request_headers),
            None if response_headers is None else _headers_out(response_headers),
            size,
            None if excerpt is None else base64.b64encode(excerpt).decode("ascii"),
        ]
    )


def _decode(text: str) -> Row:
    (*summary, request_headers, response_headers, size, excerpt) = json.loads(text)
    when, method, path, query, status, duration, key, fault = summary
    return (
        float(when),
        method,
        path,
        query,
        int(status),
        float(duration),
        key,
        fault,
        _headers_in(request_headers),
        None if response_headers is None else _headers_in(response_headers),
        int(size),
        None if excerpt is None else base64.b64decode(excerpt),
    )


def _headers_out(headers: Headers) -> list[list[str]]:
    return [[bytes(k).decode("latin-1"), bytes(v).decode("latin-1")] for k, v in headers]


def _headers_in(headers: list[list[str]]) -> Headers:
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
