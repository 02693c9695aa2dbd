"""One world shared by several emulator processes: state on Redis (``--state-url``).

Any number of processes, on any number of machines, pointed at one Redis (or Valkey)
database serve one world: a write acknowledged by one is read by the next request
on any other. Pieces, each the shared twin of a single-process part:

* ``scripts`` - the key layout and Lua scripts; ``wire`` - their arguments and
  replies; ``db`` - ``SharedDB``, one round trip per operation, also the store's
  backend for world facts (seed, clock...); ``aio`` - the non-blocking connection
  the request path uses;
* ``store`` and ``table`` - ``SharedStore``: tables as per-process caches, synced per
  request;
* ``transaction`` - each request an optimistic transaction, run again on a conflict;
  ``middleware`` - freshness first, then the transaction around the handler;
* ``runtime`` - ``SharedRuntime``: clock, progression policies and fault rules
  published to every replica (``faults`` counts matches in Redis), the journal as
  a capped shared stream (``journal``);
* the webhook outbox's shared queue, leases and log: ``emulator.core.outbox.shared``.

docs/scaling.md says when to use it and what it guarantees.
"""
