-- Drop a channel's stream and meta key together: the next publish starts a new epoch.
-- KEYS[1] meta hash   KEYS[2] history stream
redis.call('DEL', KEYS[1], KEYS[2])
return 1
