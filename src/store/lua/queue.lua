-- Queue control, on the keys Harbor core's job-service dashboard uses (spec §2.13,
-- src/pkg/jobmonitor/redis.go), so Berth and core see and steer the same queues.
-- ARGV: prefix, now, action, then per action:
--   list                   → flat array, 6 per known queue (sorted by name): name, waiting
--                            (LLEN), running (the :lock count), enqueue time of the oldest
--                            waiting job (0 when empty), paused (0/1), max_concurrency
--   pause NAME / resume NAME
--                          → 'unknown' when NAME is not in {ns}:known_jobs, else 'ok'.
--                            pause: SET {ns}:jobs:NAME:paused 1 (fetch.lua then takes
--                            nothing from it); resume: DEL it and wake idle fetchers
--   stop NAME MAX          → 'unknown', or {taken, stopped, id1, json1, ...}: takes up to MAX
--                            waiting jobs, oldest first, out of the queue; each whose stats
--                            are not final becomes Stopped (hook, TTL). The pairs are the
--                            stopped unique jobs, whose unique keys the caller computes and
--                            passes to 'unlock'. Harbor core DELs the list and the stats; Berth
--                            records Stopped so status hooks tell core (docs/compat.md)
--   unlock KEY1 ID1 ...    → number of unique keys deleted: each only while it holds its id
local action = ARGV[3]

local function oldest_t(qkey)
  local raw = redis.call('LINDEX', qkey, -1)
  if not raw then return 0 end
  local t = string.match(raw, '"t":(%d+)')
  if not t then
    local ok, j = pcall(cjson.decode, raw)
    t = ok and type(j) == 'table' and tonumber(j.t) or 0
  end
  return math.floor(tonumber(t) or 0)
end

local function list()
  local names = redis.call('SMEMBERS', P .. 'known_jobs')
  table.sort(names)
  local out = {}
  for _, name in ipairs(names) do
    local qkey = P .. 'jobs:' .. name
    local running = tonumber(redis.call('GET', qkey .. ':lock') or '0') or 0
    out[#out + 1] = name
    out[#out + 1] = redis.call('LLEN', qkey)
    out[#out + 1] = math.max(running, 0)
    out[#out + 1] = oldest_t(qkey)
    out[#out + 1] = redis.call('EXISTS', qkey .. ':paused')
    out[#out + 1] = tonumber(redis.call('GET', qkey .. ':max_concurrency') or '0') or 0
  end
  return out
end

-- One taken job: Stopped unless its stats are final or gone. Returns true when stopped.
local function stop_one(eid)
  local skey = P .. 'job_stats:' .. eid
  local st = redis.call('HMGET', skey, 'status', 'revision')
  st[1] = stats_status(st)
  if not st[1] or is_final(st[1]) and st[1] ~= 'Error' then return false end
  local rev = tonumber(st[2]) or 0
  if st[1] == 'Error' then
    -- a failed run requeued for its retry: Stopped is the outcome of a new revision
    -- (stop.lua), written with it: the revision stored first would refuse the status
    -- (same revision, Error and Stopped both final)
    keep_e(skey, st[2])
    rev = rev + 1
    local ok = set_status(eid, 'Stopped', rev, '', true) == 'ok'
    redis.call('HSET', skey, 'revision', rev)
    return ok
  end
  return set_status(eid, 'Stopped', rev, '', true) == 'ok'
end

local function stop(qkey, max)
  local jobs = redis.call('RPOP', qkey, max)
  local out = {0, 0}
  for _, raw in ipairs(jobs or {}) do
    out[1] = out[1] + 1
    local _, _, eid, unique = parse_job(raw)
    if eid and eid ~= '' and stop_one(eid) then
      out[2] = out[2] + 1
      if unique then
        out[#out + 1] = eid
        out[#out + 1] = raw
      end
    end
  end
  return out
end

if action == 'list' then return list() end
if action == 'unlock' then
  local n = 0
  for i = 4, #ARGV - 1, 2 do
    if redis.call('GET', ARGV[i]) == ARGV[i + 1] then n = n + redis.call('DEL', ARGV[i]) end
  end
  return n
end
local name = ARGV[4]
if redis.call('SISMEMBER', P .. 'known_jobs', name) == 0 then return 'unknown' end
local qkey = P .. 'jobs:' .. name
if action == 'pause' then
  redis.call('SET', qkey .. ':paused', '1')
  return 'ok'
elseif action == 'resume' then
  redis.call('DEL', qkey .. ':paused')
  wake()
  return 'ok'
elseif action == 'stop' then
  return stop(qkey, tonumber(ARGV[5]))
end
return redis.error_reply('queue.lua: unknown action ' .. tostring(action))
