-- Read a channel's history, atomically with its top position.
-- KEYS[1] meta hash   KEYS[2] history stream
-- ARGV[1] since offset (-1: no since)   ARGV[2] since epoch   ARGV[3] limit (-1: all)
-- ARGV[4] reverse (0|1)   ARGV[5] ensure TTL ms (-1: do not create the stream)   ARGV[6] a fresh epoch
-- Returns {top offset, epoch, gap (0|1), entries}; entries as XRANGE gives them ({id, {'b', body}}).
local meta, stream = KEYS[1], KEYS[2]
local since, limit, reverse, ensureTtl = tonumber(ARGV[1]), tonumber(ARGV[3]), ARGV[4] == '1', tonumber(ARGV[5])

local epoch = redis.call('HGET', meta, 'e')
local top = 0
if epoch then
  top = tonumber(redis.call('HGET', meta, 'o') or '0')
elseif ensureTtl >= 0 then
  -- Create the stream now, so the position returned can be resumed from.
  epoch = ARGV[6]
  redis.call('DEL', stream)
  redis.call('HSET', meta, 'e', epoch, 'o', 0)
  if ensureTtl > 0 then redis.call('PEXPIRE', meta, ensureTtl) end
else
  epoch = ''
end

local gap = 0
local from = '-'
if since >= 0 then
  if epoch == '' or ARGV[2] ~= epoch or since > top then
    gap = 1
  else
    local first = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)
    local oldest = top + 1
    if #first > 0 then oldest = tonumber(string.match(first[1][1], '^(%d+)')) end
    -- Trimmed past `since`: no partial answer.
    if since + 1 < oldest then gap = 1 end
  end
  from = (since + 1) .. '-0'
end

local entries = {}
if gap == 0 and limit ~= 0 and epoch ~= '' then
  if reverse then
    if limit > 0 then entries = redis.call('XREVRANGE', stream, '+', from, 'COUNT', limit)
    else entries = redis.call('XREVRANGE', stream, '+', from) end
  else
    if limit > 0 then entries = redis.call('XRANGE', stream, from, '+', 'COUNT', limit)
    else entries = redis.call('XRANGE', stream, from, '+') end
  end
end
return {top, epoch, gap, entries}
