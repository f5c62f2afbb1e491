-- Take up to ARGV[2] jobs from the head of `active` for one worker: O(batch),
-- whatever the backlog. The ids move to the worker's inflight set and their
-- meta says Running, in the same step (apalis-redis locks them in a second
-- script that scans the whole list). Due retries are promoted first, at
-- most ARGV[4] per call, so no backlog of them can overflow Lua's stack.
-- Nothing is handed out while the queue is paused.
-- KEYS: workers, active, this worker's inflight set, data, meta prefix,
--       scheduled, paused flag
-- ARGV: now (unix seconds), batch size, worker name, promote limit
-- Returns {payloads, metas} in the shape apalis-redis' decoder reads.
if redis.call('EXISTS', KEYS[7]) == 1 then
  return {{}, {}}
end
local now = ARGV[1]
-- Registering here too means a Redis that lost its data (restart, flush)
-- takes the worker back without a restart.
redis.call('ZADD', KEYS[1], now, ARGV[3])
local due = redis.call('ZRANGEBYSCORE', KEYS[6], '-inf', now, 'LIMIT', 0, tonumber(ARGV[4]))
for _, id in ipairs(due) do
  redis.call('RPUSH', KEYS[2], id)
  redis.call('ZREM', KEYS[6], id)
end
local payloads, metas = {}, {}
local ids = redis.call('LPOP', KEYS[2], tonumber(ARGV[2]))
if not ids then
  return {payloads, metas}
end
for _, id in ipairs(ids) do
  local payload = redis.call('HGET', KEYS[4], id)
  -- An id without a payload was purged by retention: nothing to run.
  if payload then
    local meta = KEYS[5] .. ':' .. id
    redis.call('SADD', KEYS[3], id)
    redis.call('HSET', meta, 'status', 'Running', 'locked_at', now, 'locked_by', ARGV[3])
    local fields = redis.call('HGETALL', meta)
    table.insert(fields, 1, id)
    table.insert(payloads, payload)
    table.insert(metas, fields)
  end
end
return {payloads, metas}
