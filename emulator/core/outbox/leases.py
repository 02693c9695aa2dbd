"""The shared outbox in Redis: per-session queues, leases on them, the delivery log.

    ve:cb:doc          hash: delivery id -> the delivery as JSON (records.delivery_doc)
    ve:cb:log          zset: delivery id -> enqueue order (the log, oldest first)
    ve:cb:open         hash: id -> queue, for every delivery not finished yet
    ve:cb:tenant       hash: id -> API key
    ve:cb:q:<queue>    list: the queue's delivery ids, in order (queue: key SEP session)
    ve:cb:keys         zset: queue -> lease expiry in ms of Redis time (0: claimable now)
    ve:cb:owner        hash: queue -> the replica holding its lease
    ve:cb:ids          hash: API key -> last delivery number (ids stay per tenant)
    ve:cb:switches     hash: API key or "*" -> failure switch JSON

A replica *claims* queues whose lease expired (or that nobody held), works through
one queue's deliveries in order, renews its leases every third of their length, and
writes each delivery's state after every step only while it still holds the lease
(``SAVE`` is fenced). If the replica dies, its leases run out and another claims the
queues: the delivery goes on from its last saved state. Times come from Redis
(``TIME``), so the replicas' clocks need not agree.
"""

from __future__ import annotations

from typing import Final

from emulator.core.shared.scripts import OUTBOX_LIB

_NOW: Final = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# ARGV: prefix, replica, lease ms, most queues to claim -> the queues claimed
CLAIM: Final = (
    _NOW
    + """
local p = ARGV[1]
local out = {}
for _, q in ipairs(redis.call('ZRANGEBYSCORE', p .. 'cb:keys', '-inf', now, 'LIMIT', 0, ARGV[4])) do
  if redis.call('LLEN', p .. 'cb:q:' .. q) == 0 then
    redis.call('ZREM', p .. 'cb:keys', q)
    redis.call('HDEL', p .. 'cb:owner', q)
  else
    redis.call('ZADD', p .. 'cb:keys', now + tonumber(ARGV[3]), q)
    redis.call('HSET', p .. 'cb:owner', q, ARGV[2])
    out[#out + 1] = q
  end
end
return out
"""
)

# ARGV: prefix, replica, lease ms, queue* -> the queues no longer held
RENEW: Final = (
    _NOW
    + """
local p = ARGV[1]
local lost = {}
for i = 4, #ARGV do
  if redis.call('HGET', p .. 'cb:owner', ARGV[i]) == ARGV[2] then
    redis.call('ZADD', p .. 'cb:keys', 'XX', now + tonumber(ARGV[3]), ARGV[i])
  else
    lost[#lost + 1] = ARGV[i]
  end
end
return lost
"""
)

# ARGV: prefix, replica, queue -> {0} not ours, {1} empty (released), {2, id, doc|nil}
HEAD: Final = """
local p = ARGV[1]
local q = ARGV[3]
if redis.call('HGET', p .. 'cb:owner', q) ~= ARGV[2] then return {0} end
local id = redis.call('LINDEX', p .. 'cb:q:' .. q, 0)
if not id then
  redis.call('ZREM', p .. 'cb:keys', q)
  redis.call('HDEL', p .. 'cb:owner', q)
  return {1}
end
return {2, id, redis.call('HGET', p .. 'cb:doc', id)}
"""

# ARGV: prefix, replica, queue, id, doc ('' to just drop the id), finished (0/1) -> 1 saved
SAVE: Final = """
local p = ARGV[1]
local q = ARGV[3]
local id = ARGV[4]
if redis.call('HGET', p .. 'cb:owner', q) ~= ARGV[2] then return 0 end
if ARGV[5] ~= '' then
  if redis.call('HEXISTS', p .. 'cb:doc', id) == 0 then return 0 end
  redis.call('HSET', p .. 'cb:doc', id, ARGV[5])
end
if ARGV[6] == '1' then
  redis.call('HDEL', p .. 'cb:open', id)
  if redis.call('LINDEX', p .. 'cb:q:' .. q, 0) == id then redis.call('LPOP', p .. 'cb:q:' .. q) end
end
return 1
"""

# ARGV: prefix, replica, queue* -> released: claimable by anyone at once
RELEASE: Final = """
local p = ARGV[1]
for i = 3, #ARGV do
  local q = ARGV[i]
  if redis.call('HGET', p .. 'cb:owner', q) == ARGV[2] then
    redis.call('HDEL', p .. 'cb:owner', q)
    if redis.call('LLEN', p .. 'cb:q:' .. q) == 0 then
      redis.call('ZREM', p .. 'cb:keys', q)
    else
      redis.call('ZADD', p .. 'cb:keys', 0, q)
    end
  end
end
return 1
"""

# ARGV: prefix, log capacity, (id, doc, queue, api key)* -- outside a transaction
ENQUEUE: Final = (
    OUTBOX_LIB
    + """
local p = ARGV[1]
for i = 3, #ARGV, 4 do enqueue(p, ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]) end
trim(p, tonumber(ARGV[2]))
return 1
"""
)

# ARGV: prefix, log capacity, id, doc, queue, api key, history (1: finished, not queued)
RECORD: Final = (
    OUTBOX_LIB
    + """
enqueue(ARGV[1], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7])
trim(ARGV[1], tonumber(ARGV[2]))
return 1
"""
)

# ARGV: prefix, api key ('' for all), finished only (0/1) -> deliveries removed.
# Removes log entries; with finished = 0 also queues, ids and the tenant's switch.
FORGET: Final = """
local p = ARGV[1]
local who = ARGV[2]
local removed = 0
local found = redis.call('HGETALL', p .. 'cb:tenant')
for i = 1, #found, 2 do
  local id, tenant = found[i], found[i + 1]
  if (who == '' or tenant == who) and
     (ARGV[3] == '0' or redis.call('HEXISTS', p .. 'cb:open', id) == 0) then
    redis.call('HDEL', p .. 'cb:doc', id)
    redis.call('HDEL', p .. 'cb:tenant', id)
    redis.call('HDEL', p .. 'cb:open', id)
    redis.call('ZREM', p .. 'cb:log', id)
    removed = removed + 1
  end
end
if ARGV[3] == '0' then
  for _, q in ipairs(redis.call('ZRANGE', p .. 'cb:keys', 0, -1)) do
    if who == '' or string.sub(q, 1, #who + 1) == who .. '\\31' then
      redis.call('DEL', p .. 'cb:q:' .. q)
      redis.call('ZREM', p .. 'cb:keys', q)
      redis.call('HDEL', p .. 'cb:owner', q)
    end
  end
  if who == '' then
    redis.call('DEL', p .. 'cb:ids', p .. 'cb:switches')
  else
    redis.call('HDEL', p .. 'cb:ids', who)
    redis.call('HDEL', p .. 'cb:switches', who)
  end
end
return removed
"""

# ARGV: prefix, switch field -> 1 if it is now used up (removed)
CONSUME: Final = """
local p = ARGV[1]
local raw = redis.call('HGET', p .. 'cb:switches', ARGV[2])
if not raw then return 0 end
local switch = cjson.decode(raw)
if switch.remaining == nil or switch.remaining == cjson.null then return 0 end
switch.remaining = switch.remaining - 1
if switch.remaining <= 0 then
  redis.call('HDEL', p .. 'cb:switches', ARGV[2])
  return 1
end
redis.call('HSET', p .. 'cb:switches', ARGV[2], cjson.encode(switch))
return 0
"""
