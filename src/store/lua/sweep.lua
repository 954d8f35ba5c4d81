-- Slow housekeeping any node may run (Harbor's reaper, spec §12.2, and gocraft's dead-pool
-- reaper, §6.3 and §12.3), one page at a time.
-- ARGV: prefix, now, cursor, count, max_update_seconds, dead_pool_seconds
--  * Harbor's outdated-stats sync, for each in-progress entry: stats gone → the entry is
--    dropped; else the stored status is compared with its hook ack (compare() below):
--    - never acknowledged (> 0): the hook is sent again with the current status (a new
--      outbox event, as Harbor's FireHook), once the status is REFIRE_AFTER old and at
--      most once an hour per job ({ns}:berth:refired:<id>, Harbor's reaper runs hourly),
--      instead of failing the job: a hung job is failed only once its state was acked;
--    - the ack is newer (< 0: a status write was lost): the status is set from the ack,
--      without a hook (Harbor's UpdateStatusWithRetry);
--    - consistent (0): a final job's entry is dropped; a non-final job whose update_time is
--      older than max_update_seconds is marked Error with its hook ("hung job"; the job
--      itself is not killed, as in Harbor).
--    Unlike Harbor (docs/compat.md), a job with no hook URL, and a Pending or Scheduled job
--    with no ack (Harbor sends no hook for those statuses), count as acknowledged: Harbor's
--    reaper would send them a hook it never sends otherwise (or none, and never fail them).
--  * on the first page of a pass (cursor 0), dead pools:
--    - a pool whose heartbeat is older than gocraft's 10 s and that still has gocraft
--      in-progress lists ({ns}:jobs:<name>:<pool>:inprogress, for the names its heartbeat
--      lists) is a dead Harbor pool: its jobs go back to their queues as gocraft's reaper
--      moves them (RPOPLPUSH, lock and lock_info −1 each), then its heartbeat, its set
--      entry and its stale lock counts go (DECRBY lock by its lock_info, clamped at 0);
--    - any other pool whose heartbeat is older than dead_pool_seconds (or missing) is
--      removed the same way (Berth pools have no in-progress lists: their runs come back
--      through their leases);
--    - pools that hold lock_info counts but are in no pool set and still have in-progress
--      lists (Harbor's startup requeuer, §12.3) have those jobs requeued too.
-- Returns {next cursor, jobs marked Error, pools removed, jobs requeued, hooks sent again,
--   statuses set from their ack}.
local cursor, count, max_update, dead_after = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local GOCRAFT_DEAD_S = 10
local REFIRE_AFTER = 300   -- Harbor's hook retries give up after 5 min
local REFIRE_EVERY = 3600
local ip = P .. 'job_track:inprogress'

-- Harbor's reaper compare(): revision, then status code, then check_in_at; no ack → 1.
local function compare(status, rev, cat, a)
  if not a then return 1 end
  if rev ~= a.revision then return rev - a.revision end
  local c, ac = code(status), code(a.status)
  if c ~= ac then return c - ac end
  return cat - a.check_in_at
end

local hung, refired, synced = 0, 0, 0
local page = redis.call('HSCAN', ip, cursor, 'COUNT', count)
local fields = page[2]
for i = 1, #fields, 2 do
  local id = fields[i]
  local skey = P .. 'job_stats:' .. id
  local st = redis.call('HMGET', skey, 'status', 'update_time', 'revision', 'check_in_at', 'web_hook_url')
  -- no update_time: untouched since its launch, its revision is its update time (keep_e);
  -- no status but a revision: Pending, untouched since its launch (stats_status)
  local status, updated, rev, url = st[1] or (st[3] and 'Pending'), tonumber(st[2] or st[3]) or 0,
                                    tonumber(st[3]) or 0, st[5]
  local a = status and ack_get(skey)
  local diff = 0
  if status and url and url ~= '' and (a or (status ~= 'Pending' and status ~= 'Scheduled')) then
    diff = compare(status, rev, tonumber(st[4]) or 0, a)
  end
  if not status then
    redis.call('HDEL', ip, id)
  elseif diff > 0 then
    if updated + REFIRE_AFTER < NOW and
       redis.call('SET', P .. 'berth:refired:' .. id, rev, 'NX', 'EX', REFIRE_EVERY) then
      hook(id, status, rev, url, '', 0, true)
      refired = refired + 1
    end
  elseif diff < 0 then
    if CODES[a.status] and write_status(id, a.status, rev) == 'ok' then synced = synced + 1 end
  elseif is_final(status) then
    redis.call('HDEL', ip, id)
  elseif updated + max_update < NOW then
    if set_status(id, 'Error', rev, '', true) == 'ok' then hung = hung + 1 end
  end
end

-- gocraft's redisLuaReenqueueJob, until the lists are empty (a pool runs at most its
-- concurrency, so the bound is only a guard)
local function requeue_inprogress(pool, names)
  local n = 0
  for _, name in ipairs(names) do
    local q = P .. 'jobs:' .. name
    while n < 10000 and redis.call('RPOPLPUSH', q .. ':' .. pool .. ':inprogress', q) do
      redis.call('DECR', q .. ':lock')
      redis.call('HINCRBY', q .. ':lock_info', pool, -1)
      n = n + 1
    end
  end
  return n
end

-- gocraft's redisLuaReapStaleLocks
local function clean_locks(pool, names)
  for _, name in ipairs(names) do
    local q = P .. 'jobs:' .. name
    local c = tonumber(redis.call('HGET', q .. ':lock_info', pool))
    if c then
      redis.call('DECRBY', q .. ':lock', c)
      redis.call('HDEL', q .. ':lock_info', pool)
      if (tonumber(redis.call('GET', q .. ':lock')) or 0) < 0 then redis.call('SET', q .. ':lock', 0) end
    end
  end
end

local function remove_pool(pool, names)
  redis.call('SREM', P .. 'worker_pools', pool)
  redis.call('DEL', P .. 'worker_pools:' .. pool)
  redis.call('SREM', P .. 'berth:idle', pool)
  clean_locks(pool, names)
end

local function split(s)
  local out = {}
  for name in string.gmatch(s or '', '[^,]+') do out[#out + 1] = name end
  return out
end

local dead, requeued = 0, 0
if cursor == '0' then
  local known = redis.call('SMEMBERS', P .. 'known_jobs')
  for _, pool in ipairs(redis.call('SMEMBERS', P .. 'worker_pools')) do
    local hb = redis.call('HMGET', P .. 'worker_pools:' .. pool, 'heartbeat_at', 'job_names')
    local beat = tonumber(hb[1] or '0') or 0
    local names = split(hb[2])
    local moved = 0
    if hb[1] and beat + GOCRAFT_DEAD_S < NOW then moved = requeue_inprogress(pool, names) end
    if moved > 0 or beat + dead_after < NOW then
      -- the types its heartbeat names and every known one (a heartbeat that is gone names
      -- none; Harbor's may name types this node does not know)
      moved = moved + requeue_inprogress(pool, known)
      remove_pool(pool, known)
      clean_locks(pool, names)
      requeued = requeued + moved
      dead = dead + 1
    end
  end
  for _, name in ipairs(known) do
    local info = redis.call('HGETALL', P .. 'jobs:' .. name .. ':lock_info')
    for i = 1, #info, 2 do
      local pool = info[i]
      if redis.call('SISMEMBER', P .. 'worker_pools', pool) == 0 then
        local moved = requeue_inprogress(pool, {name})
        if moved > 0 then
          clean_locks(pool, {name})
          requeued = requeued + moved
        end
      end
    end
  end
end
if requeued > 0 then wake() end
return {page[1], hung, dead, requeued, refired, synced}
