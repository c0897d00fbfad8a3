-- One more of (key, member) on a node; if no node had it, its event is appended in the same step.
-- KEYS[1] the node's holdings hash ("key\0member" → count)   KEYS[2] the key's totals hash (member → count)
-- KEYS[3] the event's partition stream   KEYS[4] its cursors hash
-- ARGV[1] holding field   ARGV[2] member   ARGV[3] dead-letter prefix   ARGV[4] cap   ARGV[5] dead-letter cap
-- ARGV[6] event JSON or ""
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
local first = redis.call('HINCRBY', KEYS[2], ARGV[2], 1) == 1
if first and ARGV[6] ~= '' then sb_append(KEYS[3], KEYS[4], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]) end
return first and 1 or 0
