-- Plan executions of one policy (spec §7.3), idempotent per (policy, fire time): a fire
-- time at or before the policy's last planned one ({ns}:berth:period:fired) is ignored,
-- so any number of nodes running the enqueuer make exactly one execution per fire time.
-- ARGV: prefix, now, policy id, job name, cron spec, hook URL, params JSON ('' none),
--       advance_to (the marker moves at least here: skipped misfires), t1, t2, ... (ascending)
-- Each execution: stats <policy>@<t> (kind Scheduled, status Scheduled, upstream_job_id,
-- run_at t), registered in {ns}:executions:<policy} (score t), job JSON in {ns}:scheduled
-- carrying "_job_kind_periodic_":"<t>" in its args, as Harbor core expects.
-- Returns the number of executions made, or -1 if the policy is gone.
local pid, name, cron, hook, params = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
if redis.call('HEXISTS', P .. 'berth:period:index', pid) == 0 then return -1 end
local last = tonumber(redis.call('HGET', P .. 'berth:period:fired', pid) or '0') or 0
local made = 0
local function args_with(t)
  local marker = '"_job_kind_periodic_":"' .. t .. '"'
  if params == '' or params == 'null' or params == '{}' then return '{' .. marker .. '}' end
  return string.sub(params, 1, -2) .. ',' .. marker .. '}'
end
for i = 9, #ARGV do
  local t = tonumber(ARGV[i])
  if t > last then
    local eid = pid .. '@' .. ARGV[i]
    local fields = {'id', eid, 'name', name, 'kind', 'Scheduled', 'unique', '0',
                    'status', 'Scheduled', 'enqueue_time', NOW, 'update_time', NOW,
                    'revision', NOW, 'run_at', ARGV[i], 'cron_spec', cron, 'upstream_job_id', pid}
    if hook ~= '' then fields[#fields + 1] = 'web_hook_url'; fields[#fields + 1] = hook end
    if params ~= '' then fields[#fields + 1] = 'parameters'; fields[#fields + 1] = params end
    redis.call('HSET', P .. 'job_stats:' .. eid, unpack(fields))
    redis.call('HSET', P .. 'job_track:inprogress', eid, 2)
    redis.call('ZADD', P .. 'executions:' .. pid, 'NX', t, eid)
    redis.call('ZADD', P .. 'scheduled', t, '{"name":"' .. name .. '","id":"' .. pid ..
               '","t":' .. ARGV[i] .. ',"args":' .. args_with(ARGV[i]) .. '}')
    last = t
    made = made + 1
  end
end
last = math.max(last, tonumber(ARGV[8]) or 0)
redis.call('HSET', P .. 'berth:period:fired', pid, last)
return made
