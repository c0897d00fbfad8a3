-- One less (ARGV[7] "1": all) of (key, member) on a node, if it has any; if no node has it after,
-- its event is appended in the same step. 1 if that was the last. Keys and ARGV[1…6] as occupancy-enter.
local count = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if count <= 0 then return 0 end
local take = ARGV[7] == '1' and count or 1
if count - take <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HINCRBY', KEYS[1], ARGV[1], -take) end
if redis.call('HINCRBY', KEYS[2], ARGV[2], -take) > 0 then return 0 end
redis.call('HDEL', KEYS[2], ARGV[2])
if ARGV[6] ~= '' then sb_append(KEYS[3], KEYS[4], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]) end
return 1
