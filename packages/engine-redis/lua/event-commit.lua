-- Moves a consumer's cursor forward, only for the lease holder (fencing). 1 if the holder.
-- KEYS[1] lease   KEYS[2] cursors hash   ARGV[1] holder   ARGV[2] consumer   ARGV[3] stream id
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local cur = redis.call('HGET', KEYS[2], ARGV[2])
if not cur or sb_after(ARGV[3], cur) then redis.call('HSET', KEYS[2], ARGV[2], ARGV[3]) end
return 1
