-- Stop a job in any state (spec §2.7, issue 3 item 8). ARGV: prefix, now, id, unique key ('' none).
-- Pending: the queue entry stays and is skipped when fetched (the status says Stopped).
-- Scheduled / retrying: the entry is removed from its set. Running: the status becomes
-- Stopped and a control message tells the node running it to raise the job's stop flag.
-- Returns 'ok', 'final' (already final: nothing to do) or 'missing'.
local id, ukey = ARGV[3], ARGV[4]
local skey = P .. 'job_stats:' .. id
local st = redis.call('HMGET', skey, 'status', 'revision', 'run_at', 'retry_at')
if not st[1] then return 'missing' end
if is_final(st[1]) then return 'final' end
set_status(id, 'Stopped', tonumber(st[2]) or 0, '')
local gid = string.match(id, '^([^@]+)') or id
local function drop(set, score)
  if not score or score == '' then return end
  for _, raw in ipairs(redis.call('ZRANGEBYSCORE', P .. set, score, score)) do
    local _, jid = parse_job(raw)
    if jid == gid then redis.call('ZREM', P .. set, raw) end
  end
end
drop('scheduled', st[3])
drop('retry', st[4])
if ukey ~= '' then redis.call('DEL', ukey) end
redis.call('PUBLISH', P .. 'berth:control', 'stop ' .. id)
return 'ok'
