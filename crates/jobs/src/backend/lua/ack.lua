-- Record the outcome of finished attempts. An id no longer in this worker's
-- inflight set (another worker took it over after a missed heartbeat, or
-- Redis lost its data) is skipped and counted, never an error: the attempt
-- that holds the job now records its own outcome.
-- KEYS: this worker's inflight set, done, dead, scheduled, meta prefix,
--       per-minute counters prefix
-- ARGV[1]: now (unix seconds)  ARGV[2]: the current unix minute
-- ARGV[3..]: groups of job id, result, outcome (done|retry|defer|dead),
--            run at (for retry and defer), attempts to record
-- Returns {recorded, stale}.
local now = ARGV[1]
local minute = KEYS[6] .. ':' .. ARGV[2]
local recorded, stale, done, failed = 0, 0, 0, 0
for i = 3, #ARGV, 5 do
  local id, outcome = ARGV[i], ARGV[i + 2]
  if redis.call('SREM', KEYS[1], id) == 0 then
    stale = stale + 1
  else
    local status
    if outcome == 'done' then
      redis.call('SADD', KEYS[2], id)
      status = 'Done'
      done = done + 1
    elseif outcome == 'retry' then
      redis.call('ZADD', KEYS[4], ARGV[i + 3], id)
      status = 'Failed'
      failed = failed + 1
    elseif outcome == 'defer' then
      redis.call('ZADD', KEYS[4], ARGV[i + 3], id)
      status = 'Pending'
    else
      redis.call('SADD', KEYS[3], id)
      status = 'Killed'
      failed = failed + 1
    end
    redis.call('HSET', KEYS[5] .. ':' .. id, 'result', ARGV[i + 1], 'status', status,
      'attempts', ARGV[i + 4], 'done_at', now)
    recorded = recorded + 1
  end
end
if done > 0 then redis.call('HINCRBY', minute, 'done', done) end
if failed > 0 then redis.call('HINCRBY', minute, 'failed', failed) end
if done + failed > 0 then redis.call('EXPIRE', minute, 7200) end
return {recorded, stale}
