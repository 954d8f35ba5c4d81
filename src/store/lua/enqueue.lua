-- It runs once per launch, so it uses only a few _lib definitions (P and publish:
-- cmake/embed_lua.cmake prepends just those); the whole library's closures and tables,
-- built at every call, were a fifth of Redis's instructions for a one-job call
-- (docs/design-notes.md, "Enqueue cost per job").
-- Enqueue one or more jobs atomically with their stats (spec §2.5, §3.9).
-- ARGV: prefix, now, count, then per job:
--   name, id, job_json, revision, params, nx, then nx more arguments (nx = 0 or at least 2):
--   unique_key ('' = not unique), due_ms (0 = queue now), field1, value1, ...
-- The stats hash is n = name, revision = revision, then p = params when params is not ''
-- (a short job: nx = 0), then the fields (already in Berth's compact layout: enqueue.c
-- splits values over 64 bytes into pieces as stats_hset in _lib.lua would, and sends the
-- parameters among the fields, after the others, when the job is not short).
-- The common launch (queued now, not unique, no hook, parameters of at most 64 bytes) is
-- short: 6 arguments, not 12, and Redis spends about 800 instructions on each argument
-- (its parse, ARGV, the HSET's own); the field names are the script's constants
-- (docs/design-notes.md, "HTTP launches, round five: the instructions one launch costs").
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

local call = redis.call
local n = tonumber(ARGV[3])
local stats = P .. 'job_stats:'
-- One short job (the one-call launch): the same writes as the loop below makes for it,
-- without the batch's tables (16 % of Redis's instructions for such a call, callgrind;
-- docs/design-notes.md, "Enqueue cost per job").
if n == 1 and ARGV[9] == '0' then
  if ARGV[8] == '' then
    call('HSET', stats .. ARGV[5], 'n', ARGV[4], 'revision', ARGV[7])
  else
    call('HSET', stats .. ARGV[5], 'n', ARGV[4], 'revision', ARGV[7], 'p', ARGV[8])
  end
  call('LPUSH', P .. 'jobs:' .. ARGV[4], ARGV[6])
  wake_unless_paused({ARGV[4]})
  return {'ok'}
end
local i = 4
local out = {}
local queues, names = {}, {}  -- queue name -> job JSONs in launch order; names in first-seen order
for k = 1, n do
  local name, id, json, rev, params = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local x = i + 6
  i = x + tonumber(ARGV[i + 5])
  local queued = true   -- queued now: its JSON joins its queue's LPUSH
  if x == i then   -- short
    if params == '' then
      call('HSET', stats .. id, 'n', name, 'revision', rev)
    else
      call('HSET', stats .. id, 'n', name, 'revision', rev, 'p', params)
    end
    out[k] = 'ok'
  else
    local ukey, due = ARGV[x], ARGV[x + 1]
    if ukey ~= '' and not call('SET', ukey, id, 'NX', 'EX', 86400) then
      -- pcall: a key of another type there must not fail the batch half-written
      local holder = redis.pcall('GET', ukey)
      out[k] = 'dup:' .. (type(holder) == 'string' and holder or '')
      queued = false
    else
      if params == '' then
        call('HSET', stats .. id, 'n', name, 'revision', rev, unpack(ARGV, x + 2, i - 1))
      else
        call('HSET', stats .. id, 'n', name, 'revision', rev, 'p', params,
             unpack(ARGV, x + 2, i - 1))
      end
      if due ~= '0' then
        local due_ms = tonumber(due)
        call('HSET', P .. 'job_track:inprogress', id, 2)
        call('ZADD', P .. 'scheduled', math.ceil(due_ms / 1000), json)
        call('ZADD', P .. 'berth:scheduled_ms', due_ms, json)
        queued = false
      end
      out[k] = 'ok'
    end
  end
  if queued then
    local q = queues[name]
    if not q then
      q = {}
      queues[name] = q
      names[#names + 1] = name
    end
    q[#q + 1] = json
  end
end
for _, name in ipairs(names) do
  local q = queues[name]
  for s = 1, #q, 2000 do   -- unpack takes a few thousand values at most
    call('LPUSH', P .. 'jobs:' .. name, unpack(q, s, math.min(s + 1999, #q)))
  end
end
wake_unless_paused(names)
return out
