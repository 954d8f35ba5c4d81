-- It runs once per launch, so it uses only a few _lib definitions (P and publish:
-- cmake/embed_lua.cmake prepends just those); the whole library's closures and tables,
-- built at every call, were a fifth of Redis's instructions for a one-job call
-- (docs/design-notes.md, "Enqueue cost per job").
-- Enqueue one or more jobs atomically with their stats (spec §2.5, §3.9).
-- ARGV: prefix, now, count, then per job:
--   name, id, job_json, unique_key ('' = not unique), due_ms (0 = queue now),
--   nfields, field1, value1, ... (the stats hash, already in Berth's compact layout:
--   enqueue.c splits values over 64 bytes into pieces as stats_hset in _lib.lua would)
-- A Scheduled job goes into {ns}:scheduled with a whole-second score gocraft can read,
-- rounded up so that no reader of that set starts it early, and into Berth's own
-- {ns}:berth:scheduled_ms at its exact due time, which Berth's promoter goes by
-- (schedule.lua); it gets its {ns}:job_track:inprogress entry now, as from Harbor.
-- A job queued now gets no in-progress entry: it comes with the run's first Running
-- (75 bytes less per queued job; docs/design-notes.md, docs/compat.md).
-- Saving stats and queueing in one script means no worker can pick a job before its
-- stats exist (Harbor's load-retry race cannot happen for jobs Berth enqueues).
-- The unique key holds the id of the job that took it, so a duplicate can name it.
-- Returns one 'ok' or 'dup:<holder id>' per job.
-- Cost: one HSET per job (its stats hash); the queue pushes of the whole batch go in one
-- LPUSH per queue (in the jobs' order, so the list is the same as with one LPUSH per job).

-- Wakes idle fetchers when a node is idle and one of the queues written to is not paused
-- (a paused queue cannot be fetched from: a node that fetched would find nothing and mark
-- itself idle again; queue.lua's resume wakes them). The idle set first: a busy system
-- pays one SCARD per call and nothing per queue.
local function wake_unless_paused(names)
  if redis.call('SCARD', P .. 'berth:idle') == 0 then return end
  for _, name in ipairs(names) do
    if redis.call('EXISTS', P .. 'jobs:' .. name .. ':paused') == 0 then
      publish('berth:wake', '1')
      return
    end
  end
end

local n = tonumber(ARGV[3])
-- One job queued now, not unique (the one-call launch): the same writes as the loop below
-- makes for it, without the batch's tables (16 % of Redis's instructions for such a call,
-- callgrind; docs/design-notes.md, "Enqueue cost per job").
if n == 1 and ARGV[7] == '' and ARGV[8] == '0' then
  redis.call('HSET', P .. 'job_stats:' .. ARGV[5], unpack(ARGV, 10, 9 + tonumber(ARGV[9]) * 2))
  redis.call('LPUSH', P .. 'jobs:' .. ARGV[4], ARGV[6])
  wake_unless_paused({ARGV[4]})
  return {'ok'}
end
local i = 4
local out = {}
local queues, names = {}, {}  -- queue name -> job JSONs in launch order; names in first-seen order
for k = 1, n do
  local name, id, json, ukey, due = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local first = i + 6
  i = first + tonumber(ARGV[i + 5]) * 2
  if ukey ~= '' and not redis.call('SET', ukey, id, 'NX', 'EX', 86400) then
    -- pcall: a key of another type there must not fail the batch half-written
    local holder = redis.pcall('GET', ukey)
    out[k] = 'dup:' .. (type(holder) == 'string' and holder or '')
  else
    redis.call('HSET', P .. 'job_stats:' .. id, unpack(ARGV, first, i - 1))
    if due ~= '0' then
      local due_ms = tonumber(due)
      redis.call('HSET', P .. 'job_track:inprogress', id, 2)
      redis.call('ZADD', P .. 'scheduled', math.ceil(due_ms / 1000), json)
      redis.call('ZADD', P .. 'berth:scheduled_ms', due_ms, json)
    else
      local q = queues[name]
      if not q then
        q = {}
        queues[name] = q
        names[#names + 1] = name
      end
      q[#q + 1] = json
    end
    out[k] = 'ok'
  end
end
for _, name in ipairs(names) do
  local q = queues[name]
  for s = 1, #q, 2000 do   -- unpack takes a few thousand values at most
    redis.call('LPUSH', P .. 'jobs:' .. name, unpack(q, s, math.min(s + 1999, #q)))
  end
end
wake_unless_paused(names)
return out
