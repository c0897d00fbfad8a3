-- Appends events of one partition, in order (sb_append: the backlog cap and its dead letters).
-- KEYS[1] the partition's stream   KEYS[2] its cursors hash (consumer → last committed id)
-- ARGV[1] dead-letter key prefix   ARGV[2] cap   ARGV[3] dead-letter cap   ARGV[4…] events (JSON)
for i = 4, #ARGV do sb_append(KEYS[1], KEYS[2], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[i]) end
return 1
