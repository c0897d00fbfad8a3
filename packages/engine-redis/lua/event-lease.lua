-- Takes a free or expired lease, or renews the holder's; registers the consumer on the partition
-- (cursor "0-0": nothing committed yet) so the backlog cap dead-letters for it. 1 if held.
-- KEYS[1] lease   KEYS[2] cursors hash   ARGV[1] holder   ARGV[2] TTL ms   ARGV[3] consumer
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('HSETNX', KEYS[2], ARGV[3], '0-0')
return 1
