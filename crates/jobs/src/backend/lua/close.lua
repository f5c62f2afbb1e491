-- A worker leaving: unregister it unless it still holds jobs (they stay for
-- the next heartbeat of another worker to recover).
-- KEYS: workers, this worker's inflight set   ARGV[1]: worker name
if redis.call('SCARD', KEYS[2]) == 0 then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 1
end
return 0
