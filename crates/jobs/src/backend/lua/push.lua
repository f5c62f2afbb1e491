-- Enqueue jobs in apalis-redis' layout: payload in the data hash, a meta
-- hash per job, the id appended to `active` (or `scheduled` when delayed).
-- A job id already waiting, scheduled or running is left alone (so the
-- sweeper and a retried enqueue never queue a row twice); a finished or
-- dead one is armed again.
-- KEYS: data, active, scheduled, meta prefix, wake channel, done, dead
-- ARGV[1]: run at (unix seconds, 0 = now)  ARGV[2]: max attempts
-- ARGV[3..]: pairs of job id, payload
-- Returns the number of jobs queued (skipped ones not counted).
local run_at = tonumber(ARGV[1])
local queued = 0
for i = 3, #ARGV, 2 do
  local id = ARGV[i]
  local meta = KEYS[4] .. ':' .. id
  local status = redis.call('HGET', meta, 'status')
  local exists = redis.call('HEXISTS', KEYS[1], id) == 1
  if not (exists and status and status ~= 'Done' and status ~= 'Killed') then
    redis.call('HSET', KEYS[1], id, ARGV[i + 1])
    redis.call('DEL', meta)
    redis.call('HSET', meta, 'attempts', 0, 'max_attempts', ARGV[2], 'status', 'Pending', 'idempotency_key', '')
    redis.call('SREM', KEYS[6], id)
    redis.call('SREM', KEYS[7], id)
    if run_at > 0 then
      redis.call('ZADD', KEYS[3], run_at, id)
    else
      redis.call('RPUSH', KEYS[2], id)
    end
    queued = queued + 1
  end
end
if run_at == 0 and queued > 0 then
  redis.call('PUBLISH', KEYS[5], queued)
end
return queued
