-- A worker's heartbeat: refresh its score, then hand the jobs of every
-- worker silent since ARGV[3] back to the head of `active`, so they run
-- next. Any live worker (or a fresh one) recovers a dead one's jobs.
-- KEYS: workers, active, inflight prefix
-- ARGV: now, this worker's name, the heartbeat score before which a worker is dead
-- Returns the number of jobs handed back.
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
local recovered = 0
for _, worker in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])) do
  if worker ~= ARGV[2] then
    local inflight = KEYS[3] .. ':' .. worker
    for _, id in ipairs(redis.call('SMEMBERS', inflight)) do
      redis.call('LPUSH', KEYS[2], id)
      recovered = recovered + 1
    end
    redis.call('DEL', inflight)
    redis.call('ZREM', KEYS[1], worker)
  end
end
return recovered
