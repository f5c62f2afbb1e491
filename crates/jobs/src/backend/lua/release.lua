-- Give jobs this worker fetched but never started back to the head of
-- `active` (a draining worker's buffer), or, with no ids, everything it
-- still holds (a worker registering again under its old name).
-- KEYS: this worker's inflight set, active, meta prefix
-- ARGV: job ids (none = all)
-- Returns the number released.
local ids = ARGV
if #ids == 0 then
  ids = redis.call('SMEMBERS', KEYS[1])
end
local released = 0
for _, id in ipairs(ids) do
  if redis.call('SREM', KEYS[1], id) == 1 then
    redis.call('LPUSH', KEYS[2], id)
    redis.call('HSET', KEYS[3] .. ':' .. id, 'status', 'Pending')
    released = released + 1
  end
end
return released
