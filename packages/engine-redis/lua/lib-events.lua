-- Shared by the event-log and occupancy scripts (prepended to each; see lua-script.ts).
-- Stream ids "ms-seq" compared as numbers: is a after b?
local function sb_after(a, b)
  local am, as = string.match(a, '(%d+)-(%d+)')
  local bm, bs = string.match(b, '(%d+)-(%d+)')
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  return am > bm or (am == bm and as > bs)
end

-- Appends one event to a partition's stream, then keeps the stream at `cap` entries: each trimmed
-- entry that a registered consumer (a field of the cursors hash) has not committed goes to that
-- consumer's dead letters (`dlPrefix .. consumer`, at most `dlCap`), reason backlog-cap.
local function sb_append(stream, cursors, dlPrefix, cap, dlCap, event)
  redis.call('XADD', stream, '*', 'e', event)
  local excess = redis.call('XLEN', stream) - cap
  if excess <= 0 then return end
  local old = redis.call('XRANGE', stream, '-', '+', 'COUNT', excess)
  local consumers = redis.call('HGETALL', cursors)
  if #consumers > 0 then
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    for i = 1, #consumers, 2 do
      local list = dlPrefix .. consumers[i]
      for _, entry in ipairs(old) do
        if sb_after(entry[1], consumers[i + 1]) then
          redis.call('RPUSH', list, cjson.encode({ seq = entry[1], event = entry[2][2], reason = 'backlog-cap', at = now }))
        end
      end
      redis.call('LTRIM', list, -dlCap, -1)
    end
  end
  for _, entry in ipairs(old) do redis.call('XDEL', stream, entry[1]) end
end
