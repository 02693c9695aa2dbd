"""The shared world's layout in Redis (or Valkey): key names, Lua scripts, the connection.

Everything several emulator processes share lives under one key prefix (``ve:``) of
the database named by ``--state-url redis://HOST:PORT/DB``:

    ve:id                  the world's identity, made by the first process (a Redis that
                           lost its data has none: every replica then starts over)
    ve:gen                 world generation: a full reset or restore bumps it
    ve:config              configuration version: clock, faults, progression, switches
    ve:meta                hash: seed, clock, progression, ...
    ve:tenants             set of API keys that hold rows
    ve:ns:<key>:seq        last commit in this namespace (every commit counts it up)
    ve:ns:<key>:gen        resets of this namespace (a replica then reloads it whole)
    ve:ns:<key>:rows       hash: "<table>\\x1f<row key>" -> row JSON
    ve:ns:<key>:ver        hash: same field -> seq of the commit that wrote it
    ve:ns:<key>:order      zset: field -> seq of its first write (tables are ordered)
    ve:ns:<key>:chg        zset: field -> seq of its last change (what a replica fetches)

Each process keeps decoded rows in memory. Before a request uses a namespace it reads
a few counters in one ``MGET`` (the world's ``id`` and ``gen``, ``config``, the
namespace's ``seq`` and ``gen``: ``SharedDB.stamp``); only if one moved does it ask for
what changed since the ``seq`` it last saw (``SYNC``). Writes are committed by
``COMMIT``: optimistic, it checks that every row the request read or wrote still has
the version the request saw, then writes them all under one new ``seq`` -- or changes
nothing and reports the conflict, and the request runs again
(``emulator.core.shared.transaction``). One server, not Redis Cluster: the scripts
touch keys they compute.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import redis

PREFIX: Final = "ve:"
SEP: Final = "\x1f"  # between a table name and a row key in a hash field

# Lua: unpack() has a stack limit; bulk calls go in slices of this many arguments.
_SLICE: Final = 2000

_LIB = """
local function bulk(cmd, key, list, from, step)
  local out = {}
  local n = #list
  local i = from
  while i <= n do
    local args = {}
    local j = i
    while j <= n and j < i + SLICE do args[#args + 1] = list[j]; j = j + step end
    local got = redis.call(cmd, key, unpack(args))
    for _, v in ipairs(got) do out[#out + 1] = v end
    i = j
  end
  return out
end
""".replace("SLICE", str(_SLICE))

# ARGV: prefix, tenant, world token ("<id>:<gen>"), ns gen, seq seen, force full (0/1)
SYNC: Final = (
    _LIB
    + """
local p = ARGV[1]
local ns = p .. 'ns:' .. ARGV[2] .. ':'
local world = (redis.call('GET', p .. 'id') or '') .. ':' .. (redis.call('GET', p .. 'gen') or '0')
local cfg = tonumber(redis.call('GET', p .. 'config') or '0')
local seq = tonumber(redis.call('GET', ns .. 'seq') or '0')
local gen = tonumber(redis.call('GET', ns .. 'gen') or '0')
if world ~= ARGV[3] or gen ~= tonumber(ARGV[4]) or ARGV[6] == '1' then
  return {cfg, world, gen, seq, 1, redis.call('ZRANGE', ns .. 'order', 0, -1),
          redis.call('HGETALL', ns .. 'rows'), redis.call('HGETALL', ns .. 'ver')}
end
if seq == tonumber(ARGV[5]) then return {cfg, world, gen, seq, 0} end
local fields = redis.call('ZRANGEBYSCORE', ns .. 'chg', '(' .. ARGV[5], '+inf')
if #fields == 0 then return {cfg, world, gen, seq, 0} end
return {cfg, world, gen, seq, 2, fields, bulk('HMGET', ns .. 'rows', fields, 1, 1),
        bulk('HMGET', ns .. 'ver', fields, 1, 1), bulk('ZMSCORE', ns .. 'order', fields, 1, 1)}
"""
)

# ARGV: prefix, max tenants (0: none), namespace count, then per namespace:
#   tenant, n checks, (field, expected seq)*, n puts, (field, json)*, n deletes, field*
# then the outbox part (emulator.core.outbox.shared): n deliveries, log capacity,
# (id, json, queue, api key)*.
# Returns {1, seq per namespace (0 if it wrote nothing)...}, {0, tenant, field} on a
# conflict, {-1} when a new namespace would pass max tenants.
# Queue a webhook delivery (emulator.core.outbox.shared), and keep the log bounded:
# the oldest finished deliveries go first, unfinished ones never.
OUTBOX_LIB: Final = """
local function enqueue(p, id, doc, queue, tenant, history)
  redis.call('HSET', p .. 'cb:doc', id, doc)
  redis.call('ZADD', p .. 'cb:log', redis.call('INCR', p .. 'cb:serial'), id)
  redis.call('HSET', p .. 'cb:tenant', id, tenant)
  if history == '1' then return end  -- a finished delivery, recorded as it was
  redis.call('HSET', p .. 'cb:open', id, queue)
  redis.call('RPUSH', p .. 'cb:q:' .. queue, id)
  redis.call('ZADD', p .. 'cb:keys', 'NX', 0, queue)
end
local function trim(p, capacity)
  local excess = redis.call('ZCARD', p .. 'cb:log') - capacity
  if excess <= 0 then return end
  for _, id in ipairs(redis.call('ZRANGE', p .. 'cb:log', 0, excess + 999)) do
    if excess <= 0 then return end
    if redis.call('HEXISTS', p .. 'cb:open', id) == 0 then
      redis.call('HDEL', p .. 'cb:doc', id)
      redis.call('HDEL', p .. 'cb:tenant', id)
      redis.call('ZREM', p .. 'cb:log', id)
      excess = excess - 1
    end
  end
end
"""

COMMIT: Final = (
    OUTBOX_LIB
    + """
local p = ARGV[1]
local cap = tonumber(ARGV[2])
local count = tonumber(ARGV[3])
local plan = {}
local i = 4
for n = 1, count do
  local t = {tenant = ARGV[i]}
  local ns = p .. 'ns:' .. t.tenant .. ':'
  t.ns = ns
  local checks = tonumber(ARGV[i + 1])
  i = i + 2
  for c = 1, checks do
    local have = tonumber(redis.call('HGET', ns .. 'ver', ARGV[i]) or '0')
    if have ~= tonumber(ARGV[i + 1]) then return {0, t.tenant, ARGV[i]} end
    i = i + 2
  end
  t.puts = i + 1
  t.nputs = tonumber(ARGV[i])
  i = i + 1 + 2 * t.nputs
  t.dels = i + 1
  t.ndels = tonumber(ARGV[i])
  i = i + 1 + t.ndels
  plan[n] = t
end
if cap > 0 then
  local new = 0
  for _, t in ipairs(plan) do
    if t.nputs > 0 and redis.call('SISMEMBER', p .. 'tenants', t.tenant) == 0 then new = new + 1 end
  end
  if new > 0 and redis.call('SCARD', p .. 'tenants') + new > cap then return {-1} end
end
local out = {1}
for n, t in ipairs(plan) do
  local seq = 0
  if t.nputs + t.ndels > 0 then
    local ns = t.ns
    -- One seq per put, so rows first put by this commit keep their put order.
    seq = redis.call('INCRBY', ns .. 'seq', math.max(t.nputs, 1))
    local first = seq - math.max(t.nputs, 1) + 1
    for k = 0, t.nputs - 1 do
      local f = ARGV[t.puts + 2 * k]
      redis.call('HSET', ns .. 'rows', f, ARGV[t.puts + 2 * k + 1])
      redis.call('HSET', ns .. 'ver', f, seq)
      redis.call('ZADD', ns .. 'chg', seq, f)
      redis.call('ZADD', ns .. 'order', 'NX', first + k, f)
    end
    for k = 0, t.ndels - 1 do
      local f = ARGV[t.dels + k]
      redis.call('HDEL', ns .. 'rows', f)
      redis.call('HDEL', ns .. 'ver', f)
      redis.call('ZADD', ns .. 'chg', seq, f)
      redis.call('ZREM', ns .. 'order', f)
    end
    if redis.call('HLEN', ns .. 'rows') > 0 then
      redis.call('SADD', p .. 'tenants', t.tenant)
    else
      redis.call('SREM', p .. 'tenants', t.tenant)
    end
  end
  out[n + 1] = seq
end
local outbox = tonumber(ARGV[i] or '0')
local capacity = tonumber(ARGV[i + 1] or '0')
i = i + 2
for d = 1, outbox do
  enqueue(p, ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3])
  i = i + 4
end
if outbox > 0 then trim(p, capacity) end
return out
"""
)

# ARGV: prefix, tenant, field, max tenants. A per-namespace counter row, incremented on
# the spot (outside any transaction) so that two replicas never hand out the same
# number. {-1} when it would make one tenant more than max tenants allows.
NEXT_ID: Final = """
local p = ARGV[1]
local ns = p .. 'ns:' .. ARGV[2] .. ':'
local f = ARGV[3]
local cap = tonumber(ARGV[4] or '0')
if cap > 0 and redis.call('SISMEMBER', p .. 'tenants', ARGV[2]) == 0
   and redis.call('SCARD', p .. 'tenants') >= cap then
  return {-1, 0}
end
local raw = redis.call('HGET', ns .. 'rows', f)
local n = 0
if raw then n = tonumber(string.match(raw, '"value":%s*(%d+)')) or 0 end
n = n + 1
local seq = redis.call('INCR', ns .. 'seq')
redis.call('HSET', ns .. 'rows', f, '{"value":' .. string.format('%d', n) .. '}')
redis.call('HSET', ns .. 'ver', f, seq)
redis.call('ZADD', ns .. 'chg', seq, f)
redis.call('ZADD', ns .. 'order', 'NX', seq, f)
redis.call('SADD', p .. 'tenants', ARGV[2])
return {n, seq}
"""

# ARGV: prefix, tenant. Drops one namespace; its gen moves on, so every replica
# reloads it, and its seq stays monotonic.
RESET_TENANT: Final = """
local p = ARGV[1]
local ns = p .. 'ns:' .. ARGV[2] .. ':'
redis.call('DEL', ns .. 'rows', ns .. 'ver', ns .. 'order', ns .. 'chg')
redis.call('INCR', ns .. 'gen')
redis.call('SREM', p .. 'tenants', ARGV[2])
return 1
"""

# ARGV: prefix. Drops every namespace; the world generation moves on.
RESET_ALL: Final = """
local p = ARGV[1]
local cursor = '0'
repeat
  local found = redis.call('SCAN', cursor, 'MATCH', p .. 'ns:*', 'COUNT', 1000)
  cursor = found[1]
  for _, key in ipairs(found[2]) do redis.call('DEL', key) end
until cursor == '0'
redis.call('DEL', p .. 'tenants')
return redis.call('INCR', p .. 'gen')
"""

# ARGV: prefix, tenant, (field, json)* in table order. Loads one tenant's rows (after
# a reset of it, in the same MULTI): every row gets the same new seq.
LOAD_TENANT: Final = """
local p = ARGV[1]
local ns = p .. 'ns:' .. ARGV[2] .. ':'
local count = (#ARGV - 2) / 2
local seq = redis.call('INCRBY', ns .. 'seq', math.max(count, 1))
local first = seq - math.max(count, 1) + 1
for k = 0, count - 1 do
  local f = ARGV[3 + 2 * k]
  redis.call('HSET', ns .. 'rows', f, ARGV[4 + 2 * k])
  redis.call('HSET', ns .. 'ver', f, seq)
  redis.call('ZADD', ns .. 'chg', seq, f)
  redis.call('ZADD', ns .. 'order', first + k, f)
end
if count > 0 then redis.call('SADD', p .. 'tenants', ARGV[2]) end
return seq
"""


class StateStoreError(ValueError):
    """The shared state store cannot be reached or is not usable (the CLI exits 2)."""


@dataclass(frozen=True, slots=True)
class Location:
    """Where the shared world lives, from ``redis://HOST:PORT/DB``."""

    url: str

    @property
    def display(self) -> str:
        """The URL without a password, for messages and logs."""
        parts = urlsplit(self.url)
        host = parts.hostname or "localhost"
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{host}{port}{parts.path or '/0'}"


def check_url(url: str) -> str:
    """``url`` if it names a Redis server, else ValueError saying what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise ValueError(
            f"--state-url must look like redis://HOST:PORT/DB (Redis or Valkey), got {url!r}"
        )
    path = parts.path.lstrip("/")
    if parts.scheme != "unix" and path and not path.isdigit():
        raise ValueError(f"the database in --state-url must be a number, got {path!r}")
    return url


class Scripts:
    """The Lua scripts, registered once per client (EVALSHA, reloaded if flushed)."""

    def __init__(self, client: redis.Redis) -> None:
        self.sync = client.register_script(SYNC)
        self.commit = client.register_script(COMMIT)
        self.next_id = client.register_script(NEXT_ID)
        self.reset_tenant = client.register_script(RESET_TENANT)
        self.reset_all = client.register_script(RESET_ALL)
        self.load_tenant = client.register_script(LOAD_TENANT)


def connect(url: str) -> redis.Redis:
    """A client for ``url``, checked with a PING; StateStoreError if unreachable."""
    import redis as redis_lib

    check_url(url)
    where = Location(url).display
    client = redis_lib.Redis.from_url(
        url, socket_connect_timeout=5, socket_timeout=30, health_check_interval=30
    )
    try:
        client.ping()
        version = str(client.info("server").get("redis_version", "0"))
    except redis_lib.RedisError as exc:
        raise StateStoreError(f"cannot reach the state store at {where}: {exc}") from None
    if _version(version) < (6, 2):
        raise StateStoreError(f"the state store at {where} runs Redis {version}; 6.2+ is needed")
    return client


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:2] if part.isdigit())


def decode(value: Any) -> str:
    """A reply element as text (the client answers bytes)."""
    return value.decode() if isinstance(value, bytes) else str(value)
