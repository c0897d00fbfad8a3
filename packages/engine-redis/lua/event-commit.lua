-- Moves a consumer's cursor forward, only for the lease holder (fencing), then trims the stream below
-- the oldest cursor of its consumers (what all of them are done with). 1 if the holder.
-- KEYS[1] lease   KEYS[2] cursors hash   KEYS[3] stream   ARGV[1] holder   ARGV[2] consumer   ARGV[3] stream id
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local cur = redis.call('HGET', KEYS[2], ARGV[2])
if not cur or sb_after(ARGV[3], cur) then redis.call('HSET', KEYS[2], ARGV[2], ARGV[3]) end
local oldest = nil
for _, c in ipairs(redis.call('HVALS', KEYS[2])) do
  if oldest == nil or sb_after(oldest, c) then oldest = c end
end
if oldest and oldest ~= '0-0' then redis.call('XTRIM', KEYS[3], 'MINID', oldest) end
return 1
