-- The live presence entries: expired ones (a dead node stopped refreshing them) are removed first.
-- KEYS[1] entries hash   KEYS[2] expiry sorted set
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
-- In chunks: unpack() is bounded by Lua's stack.
for i = 1, #expired, 1000 do
  local chunk = {unpack(expired, i, math.min(i + 999, #expired))}
  redis.call('ZREM', KEYS[2], unpack(chunk))
  redis.call('HDEL', KEYS[1], unpack(chunk))
end
return redis.call('HVALS', KEYS[1])
