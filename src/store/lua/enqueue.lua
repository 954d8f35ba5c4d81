-- Enqueue one or more jobs atomically with their stats (spec §2.5, §3.9).
-- ARGV: prefix, now, count, then per job:
--   name, id, job_json, unique_key ('' = not unique), due_ms (0 = queue now),
--   nfields, field1, value1, ... (the stats hash)
-- A Scheduled job goes into {ns}:scheduled with a whole-second score gocraft can read,
-- rounded up so that no reader of that set starts it early, and into Berth's own
-- {ns}:berth:scheduled_ms at its exact due time, which Berth's promoter goes by
-- (schedule.lua).
-- Saving stats and queueing in one script means no worker can pick a job before its
-- stats exist (Harbor's load-retry race cannot happen for jobs Berth enqueues).
-- The unique key holds the id of the job that took it, so a duplicate can name it.
-- Returns one 'ok' or 'dup:<holder id>' per job.
local n = tonumber(ARGV[3])
local i = 4
local out = {}
local queued = false
for k = 1, n do
  local name, id, json, ukey, due_ms = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], tonumber(ARGV[i + 4])
  local nf = tonumber(ARGV[i + 5])
  local fields = {}
  for f = 1, nf * 2 do fields[f] = ARGV[i + 5 + f] end
  i = i + 6 + nf * 2
  if ukey ~= '' and not redis.call('SET', ukey, id, 'NX', 'EX', 86400) then
    out[k] = 'dup:' .. (redis.call('GET', ukey) or '')
  else
    redis.call('HSET', P .. 'job_stats:' .. id, unpack(fields))
    redis.call('HSET', P .. 'job_track:inprogress', id, 2)
    if due_ms > 0 then
      redis.call('ZADD', P .. 'scheduled', math.ceil(due_ms / 1000), json)
      redis.call('ZADD', P .. 'berth:scheduled_ms', due_ms, json)
    else
      redis.call('LPUSH', P .. 'jobs:' .. name, json)
      queued = true
    end
    out[k] = 'ok'
  end
end
if queued then wake() end
return out
