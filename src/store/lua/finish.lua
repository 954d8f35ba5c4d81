-- Apply the outcomes of many job runs (and check-ins) in one round trip.
-- ARGV: prefix, now, pool, count, then per op 6 args: op, effective id, name, revision, a, b
--   op 'S' success, 'E' error (a = retry-at epoch or '' for no retry, b = job JSON for the
--      retry set), 'R' a worker started the run (Running and its hook now, not at fetch),
--      'RS' / 'RE' a run that started and ended within one batch: 'R' then 'S' / 'E' (a, b
--      as for 'E') from one read of the stats, hooks queued in that order,
--      'C' check-in (a = message), 'U' unique-lock release (id = the job that
--      must hold the lock, a = key; Harbor releases it when a job is picked up).
-- For S/E: status CAS to Success/Error (a job stopped meanwhile keeps Stopped: final
-- statuses never replace each other within a revision), periodic executions marked done,
-- the retry entry added, and the lease + running entry + concurrency count released,
-- but only if this node still owns the run (a reaped run may be running elsewhere).
-- Returns one entry per op ('RS' / 'RE': two, the start's then the end's): 'ok' or the
-- stored status that refused the change ('lost' for a start this node no longer owns).
local pool, n = ARGV[3], tonumber(ARGV[4])
local out = {}
local released = {}
TALLY = {}

local function owner_ok(id)
  local owner = redis.call('HGET', P .. 'berth:running', id)
  return owner and string.sub(owner, 1, #pool + 1) == pool .. '|'
end

-- A start: only the revision fetched, only from Pending/Scheduled, only while the stats
-- exist (core's "stop" of a queue deletes them) and only while this node still owns the
-- run (its lease may have been reaped while it waited). st: status, revision, hook URL.
-- Returns 'ok' or why not; with quiet (a run that has already ended, whose final status
-- follows in the same op) the Running write is skipped when no hook needs to see it.
local function start(id, rev, st, quiet)
  if not owner_ok(id) then return 'lost' end
  if (st[1] ~= 'Pending' and st[1] ~= 'Scheduled') or tonumber(st[2]) ~= rev then
    return st[1] or 'missing'
  end
  if quiet and (st[3] or '') == '' then
    st[1] = 'Running'
    return 'ok'
  end
  local res = set_status(id, 'Running', rev, '', false, st)
  if res == 'ok' then st[1] = 'Running' end
  return res
end

-- An end: the status CAS, a periodic execution marked done, the retry entry, and this
-- node's hold on the run released.
local function finish(op, id, name, rev, a, extra, st)
  local skey = P .. 'job_stats:' .. id
  local res = set_status(id, op == 'S' and 'Success' or 'Error', rev, '', false, st)
  local at = string.find(id, '@', 1, true)
  if at then
    redis.call('ZADD', P .. 'executions:' .. string.sub(id, 1, at - 1), 'XX', -1, id)
  end
  if op == 'E' and a ~= '' and res == 'ok' then
    -- gocraft and Harbor core read {ns}:retry scores as int64: whole seconds, rounded
    -- down as gocraft's now + back-off is. retry_at is the same score (stop finds the
    -- entry by it).
    local retry_at = math.floor(tonumber(a))
    redis.call('ZADD', P .. 'retry', retry_at, extra)
    redis.call('HSET', skey, 'retry_at', retry_at)
  end
  if owner_ok(id) then
    redis.call('HDEL', P .. 'berth:running', id)
    redis.call('ZREM', P .. 'berth:leases', id)
    released[name] = (released[name] or 0) + 1
  end
  return res
end

local function read(skey)
  return stats_head(skey)   -- the URL whole, even when stored in pieces (_lib.lua)
end

for k = 0, n - 1 do
  local b = 5 + k * 6
  local op, id, name, rev, a, extra = ARGV[b], ARGV[b + 1], ARGV[b + 2], tonumber(ARGV[b + 3]),
                                      ARGV[b + 4], ARGV[b + 5]
  local skey = P .. 'job_stats:' .. id
  if op == 'U' then
    release_unique(a, id)
    out[#out + 1] = 'ok'
  elseif op == 'R' then
    out[#out + 1] = start(id, rev, read(skey), false)
  elseif op == 'RS' or op == 'RE' then
    local st = read(skey)
    out[#out + 1] = start(id, rev, st, true)
    out[#out + 1] = finish(string.sub(op, 2), id, name, rev, a, extra, st)
  elseif op == 'C' then
    local st = read(skey)
    if st[1] and tonumber(st[2]) == rev then
      redis.call('HSET', skey, 'check_in_at', NOW, 'update_time', NOW)
      -- the newest 20 check-ins, for operators (Harbor keeps none; the stats hash has only
      -- check_in_at); they live as long as a failed job's stats
      local ckey = P .. 'berth:checkins:' .. id
      redis.call('LPUSH', ckey, NOW .. ' ' .. a)
      redis.call('LTRIM', ckey, 0, 19)
      redis.call('EXPIRE', ckey, 604800)
      hook(id, st[1], rev, st[3], a, NOW)
      out[#out + 1] = 'ok'
    else
      out[#out + 1] = st[1] or 'missing'
    end
  else
    out[#out + 1] = finish(op, id, name, rev, a, extra, nil)
  end
end
for name, c in pairs(released) do
  redis.call('DECRBY', P .. 'jobs:' .. name .. ':lock', c)
  redis.call('HINCRBY', P .. 'jobs:' .. name .. ':lock_info', pool, -c)
end
tally_flush()
return out
