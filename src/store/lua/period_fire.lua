-- Plan executions of one policy (spec §7.3), idempotent per (policy, fire time): a fire
-- time at or before the policy's last planned one ({ns}:berth:period:fired) is ignored,
-- and so is one whose execution is registered already (a Harbor node planned it), so any
-- number of Berth and Harbor nodes make exactly one execution per fire time.
-- ARGV: prefix, now, policy id, job name, cron spec, hook URL, params JSON ('' none),
--       advance_to (the marker moves at least here: skipped misfires), numeric id (the
--       policy's score), then per fire time (ascending): t, job JSON
-- Each execution: stats <policy>@<t> (kind Scheduled, status Scheduled, upstream_job_id,
-- run_at t), registered in {ns}:executions:<policy> (score t), the job JSON (built by the
-- caller as Harbor's enqueuer serializes it, args carrying "_job_kind_periodic_":"<t>") in
-- {ns}:scheduled.
-- Returns the number of executions made, or -1 if the policy is gone.
local pid, name, cron, hook, params = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local numeric = ARGV[9]
local present = false
for _, raw in ipairs(redis.call('ZRANGEBYSCORE', P .. 'period:policies', numeric, numeric)) do
  local ok, p = pcall(cjson.decode, raw)
  if ok and type(p) == 'table' and p.id == pid then present = true end
end
if not present then return -1 end
local last = tonumber(redis.call('HGET', P .. 'berth:period:fired', pid) or '0') or 0
local made = 0
for i = 10, #ARGV - 1, 2 do
  local t = tonumber(ARGV[i])
  local eid = pid .. '@' .. ARGV[i]
  if t > last and not redis.call('ZSCORE', P .. 'executions:' .. pid, eid) then
    local fields = {'id', eid, 'name', name, 'kind', 'Scheduled', 'unique', '0',
                    'status', 'Scheduled', 'enqueue_time', NOW, 'update_time', NOW,
                    'revision', NOW, 'run_at', ARGV[i], 'cron_spec', cron, 'upstream_job_id', pid}
    if hook ~= '' then fields[#fields + 1] = 'web_hook_url'; fields[#fields + 1] = hook end
    if params ~= '' then fields[#fields + 1] = 'parameters'; fields[#fields + 1] = params end
    stats_hset(P .. 'job_stats:' .. eid, fields, 1, #fields, false)
    redis.call('HSET', P .. 'job_track:inprogress', eid, 2)
    redis.call('ZADD', P .. 'executions:' .. pid, 'NX', t, eid)
    redis.call('ZADD', P .. 'scheduled', t, ARGV[i + 1])
    made = made + 1
  end
  if t > last then last = t end
end
last = math.max(last, tonumber(ARGV[8]) or 0)
redis.call('HSET', P .. 'berth:period:fired', pid, last)
return made
