"""The request journal of every replica as one capped Redis stream (``ve:journal``).

One shared stream, not per-replica journals merged when read: a replica can read it
alone, and ``journal_size`` bounds the whole cluster's journal as it bounds one
process's. Entries are numbered by one Redis counter, so ids are unique and in the
order requests finished over all replicas.

Writing costs the request no round trip: rows are sent on the next turn of the event
loop after the response, all the rows of that turn in one call (under load, several).
So by the time a client has read a response and asked any replica for the journal,
its entry is there; reading first sends this replica's rows not sent yet. (A writer
thread was tried: its GIL hand-overs cost the event loop more than the calls saved.)
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Final

from emulator.core.journal import Entry, Journal, Row
from emulator.core.shared.scripts import PREFIX, decode

if TYPE_CHECKING:
    from emulator.core.shared.db import SharedDB

log = logging.getLogger("emulator.core.journal")

STREAM: Final = PREFIX + "journal"

# KEYS: stream, id counter; ARGV: capacity, row JSON*
_APPEND: Final = """
for i = 2, #ARGV do
  local id = redis.call('INCR', KEYS[2])
  redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[1], '*', 'e', id .. ' ' .. ARGV[i])
end
return 1
"""

# KEYS: stream; ARGV: API key or '' for all -> entries removed
_CLEAR: Final = """
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
    """``Journal`` on the shared stream (module doc); queries read Redis."""

    def __init__(
        self, db: SharedDB, size: int, classify: Callable[[str], str] = lambda path: "none"
    ) -> None:
        super().__init__(size, classify)
        self.db = db
        self._outgoing: list[Row] = []
        self._timer: asyncio.Handle | None = None
        self._append = db.client.register_script(_APPEND)
        self._clear = db.client.register_script(_CLEAR)

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
        if not wait and self.db.can_fire():
            # Sent without waiting for the answer (emulator.core.shared.aio).
            future = self.db.fire_script(self._append, [STREAM, STREAM + ":id"], self._args(rows))
            future.add_done_callback(lambda done: self._fired(done, rows))
            return
        self._send(rows)

    def _args(self, rows: list[Row]) -> list[object]:
        return [self.size, *(json.dumps(row) for row in rows)]

    def _send(self, rows: list[Row]) -> None:
        try:
            self.db.run(self._append, [STREAM, STREAM + ":id"], self._args(rows))
        except Exception as exc:  # the journal must never fail a request
            log.warning("%d journal entries not recorded: %s", len(rows), exc)

    def _fired(self, done: asyncio.Future[Any], rows: list[Row]) -> None:
        if done.cancelled():
            return
        error = done.exception()
        if error is not None:
            self._send(rows)  # e.g. NOSCRIPT: the blocking client loads the script

    def _entries(self) -> Iterable[Entry]:
        if not self.size:
            return ()
        self.flush(wait=True)
        classify = self.classify
        out: list[Entry] = []
        for _, fields in self.db.run(self.db.client.xrange, STREAM, "-", "+"):
            number, _, text = decode(fields[b"e"]).partition(" ")
            time_, method, path, query, status, duration, key, fault = json.loads(text)
            out.append(
                Entry(
                    int(number),
                    time_,
                    method,
                    path,
                    query,
                    status,
                    duration,
                    key,
                    classify(path),
                    fault,
                )
            )
        return out

    def clear(self, api_key: str | None = None) -> int:
        self.flush(wait=True)
        return int(self.db.run(self._clear, [STREAM], [api_key or ""]))

    def __len__(self) -> int:
        if not self.size:
            return 0
        self.flush(wait=True)
        return int(self.db.run(self.db.client.xlen, STREAM))
