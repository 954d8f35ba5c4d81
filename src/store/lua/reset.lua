-- Reset a job for a new run attempt (spec §5.1 Reset): Pending, new revision, ack and
-- check-in cleared, in-progress counter 2. No hook. ARGV: prefix, now, id.
-- The new revision is never below the stored one + 1, so two runs never share one.
-- Returns the new revision, or false if the stats are missing.
local skey = P .. 'job_stats:' .. ARGV[3]
local rev = redis.call('HGET', skey, 'revision')
if not rev and redis.call('EXISTS', skey) == 0 then return false end
keep_e(skey, rev)
rev = math.max(NOW, (tonumber(rev) or 0) + 1)
redis.call('HSET', skey, 'status', 'Pending', 'revision', rev, 'update_time', NOW)
redis.call('HDEL', skey, 'ack', 'check_in', 'check_in_at')
redis.call('HSET', P .. 'job_track:inprogress', ARGV[3], 2)
return rev
