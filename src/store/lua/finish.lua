-- Apply the outcomes of many job runs (and check-ins) in one round trip.
-- ARGV: prefix, now, pool, flush (the completer's number for this batch of ops, the same
--   when it sends the batch again), count (of ops), then per op 7 args: op, effective id,
--   name, revision, a, b, fetch batch (the number of the fetch that took the run; 0 for C,
--   U) — or a group of successes: 'G', fetch batch, name, k, then k × (effective id,
--   revision) (success_group below)
--   op 'S' success, 'E' error (a = retry-at epoch or '' for no retry, b = job JSON for the
--      retry set), 'R' a worker started the run (Running and its hook now, not at fetch),
--      'RS' / 'RE' a run that started and ended within one batch: 'R' then 'S' / 'E' (a, b
--      as for 'E') from one read of the stats, hooks queued in that order,
--      'C' check-in (a = message), 'U' unique-lock release (id = the job that
--      must hold the lock, a = key; Harbor releases it when a job is picked up).
-- For S/E: status CAS to Success/Error (a job stopped meanwhile keeps Stopped: final
-- statuses never replace each other within a revision), periodic executions marked done,
-- the retry entry added, and the run's hold released — the fetch batch's count of runs
-- left (the batch and its lease go with the last) and the concurrency count — but only if
-- this node still holds the fetch batch (a reaped batch's runs may run elsewhere; the
-- reaper released its counts) and only once per completer batch ('f' in the fetch batch's
-- record: a batch sent again after a lost reply releases nothing twice).
-- Returns one entry per op ('RS' / 'RE' and each run of a 'G': two, the start's then the
-- end's): 'ok' or the stored status that refused the change ('lost' for a start this node
-- no longer holds); when every entry would be 'ok', their number instead.
local pool, flush, n = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
-- The answers, in op order. While every answer is 'ok' (the common call) they are only
-- counted: no table entry per answer, and the reply is that count (see the end).
local out, oks = nil, 0
local function answer(a)
  if not out then
    if a == 'ok' then
      oks = oks + 1
      return
    end
    out = {}
    for k = 1, oks do out[k] = 'ok' end
  end
  out[#out + 1] = a
end
TALLY = {}
IP_DONE = {}

-- The fetch batches this call touches: held (their record exists), whether this call's
-- releases were already applied, and what it releases from each.
local held = {}
local function batch_of(b)
  local h = held[b]
  if not h then
    local f = redis.call('HGET', P .. 'berth:batch:' .. pool .. ':' .. b, 'f')
    h = {held = f ~= false, replay = f ~= false and tonumber(f) >= flush, n = 0, names = {}}
    held[b] = h
  end
  return h
end

-- A start: only the revision fetched, only from Pending/Scheduled, only while the stats
-- exist (core's "stop" of a queue deletes them) and only while this node still holds the
-- run (its lease may have been reaped while it waited). st: status, revision, hook URL.
-- rev: the fetched revision as ARGV's text (compared as text first: see cas_allowed).
-- Returns 'ok' or why not; with quiet (a run that has already ended, whose final status
-- follows in the same op) the Running write is skipped when no hook needs to see it.
local function start(id, skey, rev, st, quiet, b)
  if not batch_of(b).held then return 'lost' end
  if (st[1] ~= 'Pending' and st[1] ~= 'Scheduled') or
     (st[2] ~= rev and tonumber(st[2]) ~= tonumber(rev)) then
    return st[1] or 'missing'
  end
  if quiet and (st[3] or '') == '' then
    st[1] = 'Running'
    return 'ok'
  end
  local res = set_status(id, 'Running', rev, '', false, st, skey)
  if res == 'ok' then
    st[1] = 'Running'
    -- the job's in-progress entry comes with its first Running (Harbor's reaper and the
    -- sweep watch a run from there; a run that was never seen Running needs none)
    redis.call('HSET', P .. 'job_track:inprogress', id, '2')
  end
  return res
end

-- An end: the status CAS, a periodic execution marked done, the retry entry, and the
-- run's hold counted for release. An end already applied — the stats hold this final
-- status at this revision: only this run's end writes it, so it is an earlier attempt of
-- this batch whose reply was lost — answers 'ok' and writes no second hook event or retry
-- entry (the CAS alone would let the same status through again).
local function finish(op, id, skey, name, rev, a, extra, st, b)
  local target = op == 'S' and 'Success' or 'Error'
  st = st or stats_head(skey)
  local res = 'ok'
  local again = st[1] == target and (st[2] == rev or tonumber(st[2]) == tonumber(rev))
  if not again then res = set_status(id, target, rev, '', false, st, skey) end
  local at = string.find(id, '@', 1, true)
  if at then
    redis.call('ZADD', P .. 'executions:' .. string.sub(id, 1, at - 1), 'XX', -1, id)
  end
  if op == 'E' and a ~= '' and res == 'ok' and not again then
    -- gocraft and Harbor core read {ns}:retry scores as int64: whole seconds, rounded
    -- down as gocraft's now + back-off is. retry_at is the same score (stop finds the
    -- entry by it).
    local retry_at = math.floor(tonumber(a))
    redis.call('ZADD', P .. 'retry', retry_at, extra)
    redis.call('HSET', skey, 'retry_at', retry_at)   -- rare: a number is fine
  end
  local h = batch_of(b)
  if h.held and not h.replay then
    h.n = h.n + 1
    h.names[name] = (h.names[name] or 0) + 1
  end
  return res
end

-- Releases what the ended runs held: per fetch batch its counts (the record and its lease
-- go with its last run), per job name the concurrency count.
local function release()
  local names = {}
  for b, h in pairs(held) do
    if h.n > 0 then
      local bid = pool .. ':' .. b
      local bkey = P .. 'berth:batch:' .. bid
      if redis.call('HINCRBY', bkey, 'left', -h.n) <= 0 then
        redis.call('DEL', bkey)
        redis.call('ZREM', P .. 'berth:leases', bid)
      else
        redis.call('HSET', bkey, 'f', flush)
        for name, c in pairs(h.names) do redis.call('HINCRBY', bkey, 'n:' .. name, -c) end
      end
      for name, c in pairs(h.names) do names[name] = (names[name] or 0) + c end
    end
  end
  for name, c in pairs(names) do
    redis.call('DECRBY', P .. 'jobs:' .. name .. ':lock', c)
    redis.call('HINCRBY', P .. 'jobs:' .. name .. ':lock_info', pool, -c)
  end
end

local function read(skey, st)
  return stats_head(skey, st)   -- the URL whole, even when stored in pieces (_lib.lua)
end

-- The common op, many at a time: 'G', fetch batch, job name, count, then per run its
-- effective id and fetched revision — runs of one name and one fetch batch that started
-- and succeeded within this completer batch, none a periodic execution (the completer
-- groups consecutive ones). Each is 'RS' with a = b = '', and answers as 'RS' does (two
-- entries). A run without a hook URL, read Pending or Scheduled at its fetched revision,
-- in a fetch batch this node holds, is written inline from the one HMGET: no Running write
-- (no hook needs to see it, the script is atomic), Success by the same CAS rule, its TTL
-- (as an absolute deadline: stats_expire_at), no in-progress entry (never seen Running:
-- start()); its count, the per-minute tally and the hold release once per group (a
-- Scheduled job's entry from its launch is dropped).
-- Anything else takes the general path, unchanged.
-- Returns the index of the next op.
local function success_group(i)
  local b, name, k = ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
  local h, at, fast = batch_of(b), stats_expire_at('Success'), 0
  local last = i + 2 + k * 2
  -- redis.call as a local: read through the globals (redis, then its field) at every use
  -- it costs Redis about 0.2k instructions a time (callgrind)
  local call, SKEY = redis.call, P .. 'job_stats:'
  for j = i + 4, last, 2 do
    local id, rev = ARGV[j], ARGV[j + 1]
    local skey = SKEY .. id
    local st = call('HMGET', skey, 'status', 'revision', 'web_hook_url', 'web_hook_url#1')
    local s = st[1] or (st[2] and 'Pending')   -- none: untouched since its launch (stats_status)
    if (s == 'Pending' or s == 'Scheduled') and st[2] == rev and not st[3] and not st[4] and
       h.held then
      call('HSET', skey, 'status', 'Success', 'update_time', NOWS)
      call('PEXPIREAT', skey, at)
      -- a Scheduled job has had its in-progress entry since its launch (enqueue.lua)
      if s == 'Scheduled' then redis.call('HDEL', P .. 'job_track:inprogress', id) end
      fast = fast + 1
      if out then answer('ok') answer('ok') else oks = oks + 2 end
    else
      st = read(skey, st)
      answer(start(id, skey, rev, st, true, b))
      answer(finish('S', id, skey, name, rev, '', '', st, b))
    end
  end
  if fast > 0 then
    TALLY.Success = (TALLY.Success or 0) + fast
    if not h.replay then
      h.n = h.n + fast
      h.names[name] = (h.names[name] or 0) + fast
    end
  end
  return last + 2
end

-- One op of seven arguments at ARGV[i] (see the header). Returns the index of the next op.
local function one_op(i)
  local op, id, name, rev, a, extra = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3],
                                      ARGV[i + 4], ARGV[i + 5]
  local b = ARGV[i + 6]
  local skey = P .. 'job_stats:' .. id
  if op == 'U' then
    release_unique(a, id)
    answer('ok')
  elseif op == 'R' then
    answer(start(id, skey, rev, read(skey), false, b))
  elseif op == 'RS' or op == 'RE' then
    local st = read(skey)
    answer(start(id, skey, rev, st, true, b))
    answer(finish(op == 'RS' and 'S' or 'E', id, skey, name, rev, a, extra, st, b))
  elseif op == 'C' then
    local st = read(skey)
    if st[1] and (st[2] == rev or tonumber(st[2]) == tonumber(rev)) then
      redis.call('HSET', skey, 'check_in_at', NOWS, 'update_time', NOWS)
      -- the newest 20 check-ins, for operators (Harbor keeps none; the stats hash has only
      -- check_in_at); they live as long as a failed job's stats
      local ckey = P .. 'berth:checkins:' .. id
      redis.call('LPUSH', ckey, NOW .. ' ' .. a)
      redis.call('LTRIM', ckey, 0, 19)
      redis.call('EXPIRE', ckey, 604800)
      hook(id, st[1], rev, st[3], a, NOW)
      answer('ok')
    else
      answer(st[1] or 'missing')
    end
  else
    answer(finish(op, id, skey, name, rev, a, extra, nil, b))
  end
  return i + 7
end

local i = 6
for _ = 1, n do
  if ARGV[i] == 'G' then i = success_group(i) else i = one_op(i) end
end
release()
tally_flush()
ip_done_flush()
-- Every answer 'ok' (the common case): their count instead of the list, so that neither
-- Redis nor the client builds a reply entry per op.
return out or oks
