-- Retention of one policy's executions (Harbor never trims): keep the newest `keep`
-- finished executions (score -1) and delete the older ones with their stats.
-- ARGV: prefix, now, policy id, keep. Finished members sort by id, and ids are
-- <policy>@<epoch> with epochs of equal length, so the first ones are the oldest.
-- Returns the number removed.
local key = P .. 'executions:' .. ARGV[3]
local keep = tonumber(ARGV[4])
local done = redis.call('ZCOUNT', key, -1, -1)
if done <= keep then return 0 end
local old = redis.call('ZRANGEBYSCORE', key, -1, -1, 'LIMIT', 0, done - keep)
for _, eid in ipairs(old) do
  redis.call('ZREM', key, eid)
  redis.call('DEL', P .. 'job_stats:' .. eid)
  redis.call('HDEL', P .. 'job_track:inprogress', eid)
end
return #old
