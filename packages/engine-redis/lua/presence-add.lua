-- Add or refresh a presence entry. Expiry scores use the Redis clock, the one clock all nodes share.
-- KEYS[1] entries hash (clientId → JSON)   KEYS[2] expiry sorted set (clientId → expires at, ms)
-- ARGV[1] clientId   ARGV[2] entry JSON   ARGV[3] TTL ms
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], now + ttl, ARGV[1])
-- Both keys live as long as their longest-lived entry, so an abandoned channel disappears.
for _, key in ipairs(KEYS) do
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end
return 1
