-- Publish to a channel: append to its history stream and broadcast, as one atomic step.
-- KEYS[1] meta hash (e = epoch, o = top offset)   KEYS[2] history stream   KEYS[3] idempotency key
-- ARGV[1] pub/sub channel   ARGV[2] body (JSON)   ARGV[3] history size (0: no history)
-- ARGV[4] history TTL ms    ARGV[5] a fresh epoch, used if the stream must be (re)created
-- ARGV[6] idempotency window ms (0: no key)
-- Returns {"<offset> <epoch>", duplicate (0|1)}; the message broadcast is "<offset> <epoch> <body>".
local meta, stream, idem = KEYS[1], KEYS[2], KEYS[3]
local size, ttl, window = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[6])

if window > 0 then
  local prior = redis.call('GET', idem)
  if prior then return {prior, 1} end
end

local offset, epoch = 0, ''
if size > 0 then
  epoch = redis.call('HGET', meta, 'e')
  if not epoch then
    -- The meta key vanished (restart, eviction, TTL): a new epoch, so no old position can continue.
    epoch = ARGV[5]
    redis.call('DEL', stream)
    redis.call('HSET', meta, 'e', epoch, 'o', 0)
  end
  offset = redis.call('HINCRBY', meta, 'o', 1)
  redis.call('XADD', stream, 'MAXLEN', size, offset .. '-0', 'b', ARGV[2])
  if ttl > 0 then
    redis.call('PEXPIRE', meta, ttl)
    redis.call('PEXPIRE', stream, ttl)
  end
end

local position = offset .. ' ' .. epoch
redis.call('PUBLISH', ARGV[1], position .. ' ' .. ARGV[2])
if window > 0 then redis.call('SET', idem, position, 'PX', window) end
return {position, 0}
