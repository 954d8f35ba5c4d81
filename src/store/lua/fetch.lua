-- Fetch up to `max` jobs for one node in one round trip. They are not marked Running here:
-- a worker may not be free for each yet (prefetch), and a job waiting for one must still
-- read Pending, so that a stop finds it pending; the worker that starts a run has the
-- completer mark it Running with its hook (finish.lua op 'R').
-- ARGV: prefix, now, pool, lease_deadline_ms, max, ntypes, then per type: name, max_concurrency
--   (types in the priority-weighted order the caller drew), then the batch number (the
--   caller's count of its fetches).
-- Per job, by stored status (spec §4.4): Pending/Scheduled → taken as is; Running/Error
-- (crash or retry) → Reset (Pending, new revision); Stopped → skipped; Success → skipped (a
-- duplicate delivery); no stats → parked in the retry set for the load-retry (caller).
-- The jobs taken to run share one lease, the batch's: {ns}:berth:leases holds
-- '<pool>:<batch>' (score = deadline ms) and {ns}:berth:batch:<pool>:<batch> what any node
-- needs to requeue them if this node dies: 'pool', 'json' (the jobs' JSON as popped,
-- NUL-separated), 'revs' (their fetched revisions in the same order, space-separated; the
-- effective id is the JSON's, requeue.lua parses it), 'left' (runs not yet written back),
-- 'n:<name>' (the same per job name, for the concurrency counts) and 'f' (the last
-- completer batch applied, finish.lua). One write per fetch instead of a lease and a
-- running entry per job; no string built per job (a '<revision>|<id>|<JSON>' string per
-- job cost about 4k of redis-server's 33k instructions per fetched job).
-- Returns a flat array, 3 entries per job: code, revision (text), json
--   code: 'R' run, 'S' skip (stopped), 'K' skip (already succeeded), 'W' stats missing
--   (parked for a later try), 'D' dropped (unparsable job or stats never appeared); in lower
--   case when the job was launched unique (its lock is released when picked up); followed
--   by '\0<effective id>\0<name>' unless the JSON starts '{"name":"<name>","id":"<id>"'
--   with the queue's name (Berth's head: the client reads both there). Two reply entries
--   less per job than sending them apart: each costs a Lua append and a reply element.
local pool, deadline, max, ntypes = ARGV[3], ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local batch = ARGV[7 + ntypes * 2]
local out, nout = {}, 0
-- redis.call as a local: read through the globals (redis, then its field) at every use it
-- costs Redis about 0.2k instructions a time (callgrind)
local call, SKEY = redis.call, P .. 'job_stats:'
local UNIQUE_CODE = {R = 'r', S = 's', K = 'k', W = 'w', D = 'd'}
local held, revs, record = {}, {}, {}
local taken, nheld = 0, 0
for t = 1, ntypes do
  if taken >= max then break end
  local name, maxc = ARGV[5 + t * 2], tonumber(ARGV[6 + t * 2])
  local qkey, qhead = P .. 'jobs:' .. name, '{"name":"' .. name .. '","id":"'
  local want = max - taken
  if redis.call('EXISTS', qkey .. ':paused') == 1 then want = 0 end
  if want > 0 and maxc > 0 then
    local busy = tonumber(redis.call('GET', qkey .. ':lock') or '0')
    want = math.min(want, maxc - busy)
  end
  local jobs = want > 0 and redis.call('RPOP', qkey, want) or {}
  local runs = 0
  for k = 1, #jobs do   -- not ipairs: no iterator function called per job
    local raw = jobs[k]
    local jname, _, eid, unique, known = parse_job(raw, name, qhead)
    if not jname or not eid then jname, eid, unique, known = name, '', false, false end
    local skey = SKEY .. eid
    local st = call('HMGET', skey, 'status', 'revision')
    -- the revision stays text unless it changes: numbers cost a strtod and a sprintf here;
    -- no status but a revision: Pending, untouched since its launch (stats_status)
    local status, rev = st[1] or (st[2] and 'Pending'), st[2] or '0'
    local c = 'R'
    if eid == '' then
      c = 'D'
      redis.call('ZADD', P .. 'dead', NOW, raw)
    elseif not status then
      -- Stats not saved yet (a job queued by another writer): Harbor retries the load 6
      -- times over ~7 s, then drops the job. Park it in the retry set instead of holding
      -- a worker, counting tries in a short-lived key so a crash loses nothing.
      c = 'W'
      local wkey = P .. 'berth:stats_wait:' .. eid
      local tries = redis.call('INCR', wkey)
      redis.call('EXPIRE', wkey, 120)
      if tries <= 6 then
        redis.call('ZADD', P .. 'retry', NOW + (tries == 1 and 1 or 2), raw)
      else
        redis.call('DEL', wkey)
        c = 'D'
      end
    elseif status == 'Stopped' then
      c = 'S'
    elseif status == 'Success' then
      c = 'K'
    elseif status == 'Running' or status == 'Error' then
      keep_e(skey, st[2])
      rev = tostring(math.max(NOW, (tonumber(rev) or 0) + 1))
      redis.call('HSET', skey, 'revision', rev, 'status', 'Pending', 'update_time', NOWS)
      redis.call('HDEL', skey, 'ack', 'check_in', 'check_in_at')
      -- Pending again: its in-progress entry comes with its next Running (finish.lua)
      redis.call('HDEL', P .. 'job_track:inprogress', eid)
    elseif status ~= 'Pending' and status ~= 'Scheduled' then
      c = 'S'
    end
    if c == 'R' then
      nheld = nheld + 1
      held[nheld], revs[nheld] = raw, rev
      runs = runs + 1
    end
    c = unique and UNIQUE_CODE[c] or c
    -- the id and name only when the client cannot cut them from the JSON's head
    out[nout + 1] = known and c or c .. '\0' .. eid .. '\0' .. jname
    out[nout + 2] = rev
    out[nout + 3] = raw
    nout = nout + 3
    taken = taken + 1
  end
  if runs > 0 then
    redis.call('INCRBY', qkey .. ':lock', runs)
    redis.call('HINCRBY', qkey .. ':lock_info', pool, runs)
    record[#record + 1] = 'n:' .. name
    record[#record + 1] = runs
  end
end
if nheld > 0 then
  local bid = pool .. ':' .. batch
  redis.call('HSET', P .. 'berth:batch:' .. bid, 'pool', pool, 'left', nheld, 'f', 0,
             'json', table.concat(held, '\0'), 'revs', table.concat(revs, ' '), unpack(record))
  redis.call('ZADD', P .. 'berth:leases', deadline, bid)
end
-- Fewer than asked: every queue is drained, paused or at its concurrency limit, so the
-- caller sleeps until an enqueue wakes it (no second, empty fetch to learn it).
if taken < max then
  redis.call('SADD', P .. 'berth:idle', pool)
else
  redis.call('SREM', P .. 'berth:idle', pool)
end
return out
