-- Save a stats hash (tracker Save, spec §5.1). ARGV: prefix, now, id, upstream id ('' none),
-- run_at, then field/value pairs. Revision = stored one, else the given one, else now.
-- Returns the revision in force.
local id, upstream, run_at = ARGV[3], ARGV[4], ARGV[5]
local skey = P .. 'job_stats:' .. id
local fields = {}
local given
for i = 6, #ARGV, 2 do
  if ARGV[i] == 'revision' then given = tonumber(ARGV[i + 1]) else
    fields[#fields + 1] = ARGV[i]
    fields[#fields + 1] = ARGV[i + 1]
  end
end
local rev = tonumber(redis.call('HGET', skey, 'revision') or '') or given or NOW
if rev == 0 then rev = NOW end
fields[#fields + 1] = 'revision'
fields[#fields + 1] = rev
fields[#fields + 1] = 'update_time'
fields[#fields + 1] = NOW
stats_hset(skey, fields, 1, #fields, false)
redis.call('HSET', P .. 'job_track:inprogress', id, 2)
if upstream ~= '' then
  redis.call('ZADD', P .. 'executions:' .. upstream, 'NX', run_at, id)
end
return rev
