-- Nodes whose mark lapsed and that still hold something; lapsed nodes holding nothing are forgotten.
-- KEYS[1] nodes sorted set   ARGV[1] holdings-hash key prefix
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local dead = {}
for _, node in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)) do
  if redis.call('EXISTS', ARGV[1] .. node) == 1 then table.insert(dead, node) else redis.call('ZREM', KEYS[1], node) end
end
return dead
