"""Lua scripts for the Redis backend: each read-then-write runs atomically inside Redis.

Two dispatchers (or a dispatcher and a replay) racing for one entry is the normal case in a
scaled-out mesh, so nothing here is a client-side read followed by a write. Times arrive as
strings (Python ``repr`` of the callers' clock) and are stored as given: a Lua number would be
re-formatted with 14 digits and lose the fraction of an epoch timestamp.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def queue_script(pipe: Any, source: str, keys: Sequence[str], args: Sequence[str | int | float]) -> None:
    """Queue ``source`` on ``pipe`` (a redis-py pipeline) as an EVAL of its text.

    Not a registered script: redis-py sends ``SCRIPT EXISTS`` before executing any pipeline that
    holds one, a second round trip per batch; and a bare EVALSHA could fail NOSCRIPT (Redis
    restarted, scripts flushed) inside a MULTI whose other commands have then been applied.
    The text is a few hundred bytes beside a batch's arguments, and Redis compiles it once
    (it caches scripts by their SHA1).
    """
    pipe.eval(source, len(keys), *keys, *args)


# KEYS: the claims, each once. ARGV: now, expired_before (now - window), ttl_ms. Returns 1 (claimed)
# or 0 (a duplicate) per key, in order: a whole batch's claims in one call, one round trip.
# The value is the claim time in the callers' clock, so expiry follows the ``now`` the caller
# passes (as in SQLite); PX lets Redis forget the key once the window has passed in real time.
CLAIM_DEDUP_KEYS = """
local answers = {}
for position, key in ipairs(KEYS) do
  if redis.call('SET', key, ARGV[1], 'NX', 'PX', ARGV[3]) then
    answers[position] = 1
  else
    local claimed_at = tonumber(redis.call('GET', key))
    if claimed_at and claimed_at > tonumber(ARGV[2]) then
      answers[position] = 0
    else
      redis.call('SET', key, ARGV[1], 'PX', ARGV[3])
      answers[position] = 1
    end
  end
end
return answers
"""

# KEYS: stream, due, attempts. ARGV: group, consumer, limit, now, lease_until.
# `due` scores every delivered-but-unfinished entry by when it may be taken again: the end of
# its lease, or its next attempt when retrying. Due entries are taken over with XCLAIM (the
# lease, in the callers' clock, is the idle test), then new ones are read with XREADGROUP.
# Returns {stream id, flat fields, attempts} per entry.
CLAIM_OUTBOX = """
local stream, due, attempts_key = KEYS[1], KEYS[2], KEYS[3]
local group, consumer, limit, now, lease_until = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5]
if redis.call('EXISTS', stream) == 0 then return {} end
local claimed = {}
local ids = redis.call('ZRANGEBYSCORE', due, '-inf', now, 'LIMIT', 0, limit)
for start = 1, #ids, 100 do
  local chunk = {}
  for i = start, math.min(start + 99, #ids) do chunk[#chunk + 1] = ids[i] end
  -- Off `due`, then back on below with the new lease; an id XCLAIM no longer finds in the
  -- stream stays off.
  redis.call('ZREM', due, unpack(chunk))
  for _, entry in ipairs(redis.call('XCLAIM', stream, group, consumer, 0, unpack(chunk))) do
    claimed[#claimed + 1] = entry
  end
end
local remaining = limit - #claimed
if remaining > 0 then
  local fresh = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', remaining, 'STREAMS', stream, '>')
  if fresh then
    for _, entry in ipairs(fresh[1][2]) do claimed[#claimed + 1] = entry end
  end
end
local result = {}
for _, entry in ipairs(claimed) do
  redis.call('ZADD', due, lease_until, entry[1])
  result[#result + 1] = {entry[1], entry[2], redis.call('HGET', attempts_key, entry[1]) or '0'}
end
return result
"""

# A batch of one destination's results, in one call (one round trip however many entries).
# KEYS: stream, due, attempts, responses, dead index, then per entry: dead entry, status, payloads.
# ARGV: group, now, status ttl seconds, destination, then per entry: stream id, action
#       (retry | dead | final), state, platform response, next attempt at, kept payload JSON
#       ('' for none).
# Returns how many entries were still there (an entry another worker already completed is skipped).
COMPLETE = """
local stream, due, attempts_key, responses_key, dead_index = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local group, now, status_ttl, destination = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local done = 0
for n = 0, (#ARGV - 4) / 6 - 1 do
  local dead_entry, status_key, payloads_key = KEYS[6 + 3 * n], KEYS[7 + 3 * n], KEYS[8 + 3 * n]
  local a = 5 + 6 * n
  local id, action, state, response, next_attempt_at, payload =
    ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], ARGV[a + 5]
  local found = redis.call('XRANGE', stream, id, id)
  if #found > 0 then
    done = done + 1
    -- The status field is "<destination>/<event name>" (redis_layout.status_field).
    local entry_fields, event_name = found[1][2], ''
    for i = 1, #entry_fields, 2 do
      if entry_fields[i] == 'event_name' then event_name = entry_fields[i + 1] end
    end
    local field = destination .. '/' .. event_name
    local attempts = tonumber(redis.call('HGET', attempts_key, id) or '0') + 1
    if action == 'retry' then
      redis.call('HSET', attempts_key, id, attempts)
      redis.call('HSET', responses_key, id, response)
      redis.call('ZADD', due, next_attempt_at, id)
    else
      if action == 'dead' then
        redis.call('HSET', dead_entry, unpack(found[1][2]))
        redis.call('HSET', dead_entry, 'attempts', attempts, 'reason', response, 'dead_at', now,
          'last_response', redis.call('HGET', responses_key, id) or '')
        redis.call('ZADD', dead_index, now, id)
      end
      redis.call('XACK', stream, group, id)
      redis.call('XDEL', stream, id)
      redis.call('ZREM', due, id)
      redis.call('HDEL', attempts_key, id)
      redis.call('HDEL', responses_key, id)
    end
    local current = redis.call('HGET', status_key, field)
    if current then
      local status = cjson.decode(current)
      status['state'] = tonumber(state)
      status['attempts'] = attempts
      status['platform_response'] = response
      status['updated_at'] = tonumber(now)
      redis.call('HSET', status_key, field, cjson.encode(status))
      redis.call('EXPIRE', status_key, status_ttl)
    end
    -- The payload is kept as long as the status: the same TTL, renewed with it.
    if payload ~= '' then redis.call('HSET', payloads_key, field, payload) end
    redis.call('EXPIRE', payloads_key, status_ttl)
  end
end
return done
"""

# KEYS: stream, dead index, dead entry, responses, status.
# ARGV: group, dead stream id, now, destination, pending state, status ttl seconds.
# The entry goes to the tail of the stream under a new stream id, attempts reset.
REPLAY_DEAD_LETTER = """
local stream, dead_index, dead_entry, responses_key, status_key = unpack(KEYS)
local group, dead_id, now, destination, pending, status_ttl = unpack(ARGV)
local fields = redis.call('HMGET', dead_entry,
  'event_id', 'event_name', 'prepared', 'traceparent', 'last_response')
if not fields[1] then return 0 end
redis.pcall('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM')
local id = redis.call('XADD', stream, '*', 'event_id', fields[1], 'event_name', fields[2],
  'prepared', fields[3], 'traceparent', fields[4], 'enqueued_at', now)
redis.call('HSET', responses_key, id, fields[5] or '')
redis.call('ZREM', dead_index, dead_id)
redis.call('DEL', dead_entry)
local field = destination .. '/' .. fields[2]
local current = redis.call('HGET', status_key, field)
if current then
  local status = cjson.decode(current)
  status['state'] = tonumber(pending)
  status['attempts'] = 0
  status['updated_at'] = tonumber(now)
  redis.call('HSET', status_key, field, cjson.encode(status))
  redis.call('EXPIRE', status_key, status_ttl)
end
return 1
"""

# KEYS: the lease. ARGV: holder, now, expires_at, ttl_ms.
# The value is "<expires_at>|<holder>" in the callers' clock, so expiry follows the ``now`` the
# caller passes (as in SQLite); PX lets Redis forget a lease nobody renews. A free name is
# taken with SET NX; a held one passes to another holder only once expired, and its own holder
# renews it.
ACQUIRE_LEASE = """
local value = ARGV[3] .. '|' .. ARGV[1]
if redis.call('SET', KEYS[1], value, 'NX', 'PX', ARGV[4]) then return 1 end
local current = redis.call('GET', KEYS[1])
local bar = string.find(current, '|', 1, true)
local expires_at, holder = tonumber(string.sub(current, 1, bar - 1)), string.sub(current, bar + 1)
if holder ~= ARGV[1] and expires_at > tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], value, 'PX', ARGV[4])
return 1
"""

# KEYS: the strategy hash, the change list. ARGV: scope, strategy, configured, actor, now.
# The previous value is read and replaced in one step, so concurrent changes of one scope each
# record what the other left. The change is a JSON object pushed at the head (newest first);
# now stays a string (see above).
SET_STRATEGY = """
local previous = redis.call('HGET', KEYS[1], ARGV[1])
if not previous then previous = ARGV[3] end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('LPUSH', KEYS[2], cjson.encode({
  destination = ARGV[1], previous = previous, strategy = ARGV[2], actor = ARGV[4], changed_at = ARGV[5]
}))
return previous
"""
