-- Unschedule a periodic policy (spec §7.5). ARGV: prefix, now, policy id.
-- The policy's stats become Stopped (hook); its unfinished executions are stopped
-- (scheduled ones removed from {ns}:scheduled, running ones told over pub/sub); the policy
-- leaves {ns}:period:policies so nothing fires again. Finds the policy by its stats, by
-- Berth's index, or by scanning the policies (a policy whose stats expired).
-- Returns 'ok' or 'missing'.
local pid = ARGV[3]
local skey = P .. 'job_stats:' .. pid
local st = redis.call('HMGET', skey, 'status', 'revision', 'numeric_policy_id')
local n = redis.call('HGET', P .. 'berth:period:index', pid) or st[3]
if not n then
  local all = redis.call('ZRANGE', P .. 'period:policies', 0, -1, 'WITHSCORES')
  for i = 1, #all, 2 do
    local ok, p = pcall(cjson.decode, all[i])
    if ok and type(p) == 'table' and p.id == pid then n = all[i + 1] end
  end
end
if not n and not st[1] then return 'missing' end
if st[1] and not is_final(st[1]) then set_status(pid, 'Stopped', tonumber(st[2]) or 0, '', true) end
for _, eid in ipairs(redis.call('ZRANGEBYSCORE', P .. 'executions:' .. pid, 0, '+inf')) do
  local es = redis.call('HMGET', P .. 'job_stats:' .. eid, 'status', 'revision', 'run_at')
  if es[1] == 'Scheduled' and es[3] then
    for _, raw in ipairs(redis.call('ZRANGEBYSCORE', P .. 'scheduled', es[3], es[3])) do
      local _, jid, xid = parse_job(raw)
      if jid == pid and xid == eid then redis.call('ZREM', P .. 'scheduled', raw) end
    end
  end
  if es[1] == 'Pending' or es[1] == 'Scheduled' or es[1] == 'Running' then
    set_status(eid, 'Stopped', tonumber(es[2]) or 0, '', true)
    publish('berth:control', 'stop ' .. eid)
  end
end
if n then redis.call('ZREMRANGEBYSCORE', P .. 'period:policies', n, n) end
redis.call('HDEL', P .. 'berth:period:index', pid)
redis.call('HDEL', P .. 'berth:period:fired', pid)
redis.call('INCR', P .. 'berth:period:version')
return 'ok'
