-- Stop a job in any state (spec §2.7, issue 3 item 8). ARGV: prefix, now, id, unique key ('' none).
-- Pending: the queue entry stays and is skipped when fetched (the status says Stopped).
-- Scheduled / retrying: the entry is removed from its set. Running: the status becomes
-- Stopped and a control message tells the node running it to raise the job's stop flag.
-- Returns 'ok', 'final' (already final: nothing to do) or 'missing'.
local id, ukey = ARGV[3], ARGV[4]
local skey = P .. 'job_stats:' .. id
local st = redis.call('HMGET', skey, 'status', 'revision', 'run_at', 'retry_at')
st[1] = stats_status(st)
if not st[1] then return 'missing' end
local gid = string.match(id, '^([^@]+)') or id
-- A Scheduled job Berth launched sits at run_at rounded up (run_at or run_at + 1) and in
-- the ms index (enqueue.lua); Harbor's and retries sit at the score the stats name.
local function drop(set, score)
  local n = 0
  if not score or score == '' then return 0 end
  local upto = (set == 'scheduled' and gid == id) and tonumber(score) + 1 or score
  for _, raw in ipairs(redis.call('ZRANGEBYSCORE', P .. set, score, upto)) do
    local _, jid = parse_job(raw)
    if jid == gid then
      n = n + redis.call('ZREM', P .. set, raw)
      if set == 'scheduled' then redis.call('ZREM', P .. 'berth:scheduled_ms', raw) end
    end
  end
  return n
end
local rev = tonumber(st[2]) or 0
if st[1] == 'Error' then
  -- A failed run waiting for its retry: Harbor ignores stop here and the retry runs;
  -- Berth removes the retry and records Stopped as the outcome of a new revision.
  if drop('retry', st[4]) == 0 then return 'final' end
  keep_e(skey, st[2])
  rev = rev + 1
  set_status(id, 'Stopped', rev, '', true)
  redis.call('HSET', skey, 'revision', rev)
elseif is_final(st[1]) then
  return 'final'
end
set_status(id, 'Stopped', rev, '', true)
drop('scheduled', st[3])
drop('retry', st[4])
release_unique(ukey, id)
publish('berth:control', 'stop ' .. id)
return 'ok'
