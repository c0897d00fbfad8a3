-- Marks a node alive until now + TTL on the Redis clock.   KEYS[1] nodes sorted set   ARGV[1] node   ARGV[2] TTL ms
local t = redis.call('TIME')
redis.call('ZADD', KEYS[1], tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[2]), ARGV[1])
return 1
