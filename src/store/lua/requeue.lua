-- Put runs back at the head of their queues. Runs are held by fetch batch (fetch.lua: the
-- lease '<pool>:<batch>' in {ns}:berth:leases, the record {ns}:berth:batch:<pool>:<batch>).
-- ARGV: prefix, now, mode, then
--   mode 'expired': deadline_ms, limit  (the reaper, any node: batches whose lease ended
--                                        before deadline, at most limit of them)
--   mode 'batches': pool, batch, ...    (a node's shutdown: all it still holds of these)
--   mode 'own':     pool, batch1, id1, batch2, id2, ...  (runs a node hands back while it
--                                        runs on: prefetched runs no worker took)
-- A whole batch given up ('expired', 'batches') requeues each of its jobs that has not
-- ended: the job's stats still carry the fetched revision and a status that is not final
-- (Pending/Scheduled: prefetched, or started before its Running reached Redis; Running: a
-- started run, which the next fetch Resets with a new revision). A job that ended (or was
-- stopped, or fetched again since: another revision) is not run again. The batch's counts
-- of runs not written back are taken off the concurrency counts, and the record and its
-- lease go. An expired batch's Pending/Scheduled job gets a new revision here: its dead or
-- frozen node may have started it, and a frozen node that wakes up must not finish the
-- next run under the same revision (finish.lua's S/E go by revision alone). 'own' removes
-- the named runs from their batch's record (requeued unless ended) and their counts.
-- Returns the list of requeued effective ids.
local mode = ARGV[3]
local out = {}

local function new_revision_if_waiting(skey, st)
  if st[1] == 'Pending' or st[1] == 'Scheduled' then
    keep_e(skey, st[2])
    local rev = math.max(NOW, (tonumber(st[2]) or 0) + 1)
    redis.call('HSET', skey, 'revision', rev, 'update_time', NOW)
    redis.call('HDEL', skey, 'ack', 'check_in', 'check_in_at')
  end
end

-- A batch record's jobs (fetch.lua): list of {rev, id, name, raw} in fetch order, from its
-- 'json' (NUL-separated) and 'revs' (space-separated); the effective id and the name are
-- the JSON's (parse_job, as the fetch read them; a JSON that does not parse keeps id '', so
-- requeue() finds no stats for it and leaves it). A record written by an older Berth holds
-- 'jobs' instead ('<revision>|<effective id>|<JSON>' per job), read as well so that such a
-- node's batches are still requeued after an upgrade.
local function entries(json, revs, old)
  local list, pos, rpos = {}, 1, 1
  revs = revs or ''
  while json and pos <= #json do
    local stop = string.find(json, '\0', pos, true) or (#json + 1)
    local rstop = string.find(revs, ' ', rpos, true) or (#revs + 1)
    local raw = string.sub(json, pos, stop - 1)
    local name, _, eid = parse_job(raw)
    list[#list + 1] = {rev = tonumber(string.sub(revs, rpos, rstop - 1)), id = eid or '',
                       name = name, raw = raw}
    pos, rpos = stop + 1, rstop + 1
  end
  pos = 1
  while old and pos <= #old do
    local stop = string.find(old, '\0', pos, true) or (#old + 1)
    local e = string.sub(old, pos, stop - 1)
    local a = string.find(e, '|', 1, true)
    local b = a and string.find(e, '|', a + 1, true)
    if b then
      list[#list + 1] = {rev = tonumber(string.sub(e, 1, a - 1)), id = string.sub(e, a + 1, b - 1),
                         raw = string.sub(e, b + 1)}
    end
    pos = stop + 1
  end
  return list
end

-- Back to the head of its queue, unless it ended or runs under another revision since.
local function requeue(e, expired)
  local skey = P .. 'job_stats:' .. e.id
  local st = redis.call('HMGET', skey, 'status', 'revision')
  st[1] = stats_status(st)
  if tonumber(st[2]) ~= e.rev or (st[1] ~= 'Pending' and st[1] ~= 'Scheduled' and
                                  st[1] ~= 'Running') then
    return
  end
  local name = e.name or parse_job(e.raw)
  if not name then
    redis.call('ZADD', P .. 'dead', NOW, e.raw)
    return
  end
  if expired then new_revision_if_waiting(skey, st) end
  redis.call('RPUSH', P .. 'jobs:' .. name, e.raw)
  out[#out + 1] = e.id
end

-- Takes c runs of job name off pool's concurrency counts (never below 0).
local function unlock(name, pool, c)
  local q = P .. 'jobs:' .. name
  if redis.call('DECRBY', q .. ':lock', c) < 0 then redis.call('SET', q .. ':lock', 0) end
  if redis.call('HINCRBY', q .. ':lock_info', pool, -c) <= 0 then
    redis.call('HDEL', q .. ':lock_info', pool)
  end
end

local function give_up(bid, expired)
  local bkey = P .. 'berth:batch:' .. bid
  local h = redis.call('HGETALL', bkey)
  local rec = {}
  for f = 1, #h, 2 do rec[h[f]] = h[f + 1] end
  for _, e in ipairs(entries(rec.json, rec.revs, rec.jobs)) do requeue(e, expired) end
  for f, v in pairs(rec) do
    local name = string.match(f, '^n:(.*)$')
    if name and tonumber(v) > 0 then unlock(name, rec.pool, tonumber(v)) end
  end
  redis.call('DEL', bkey)
  redis.call('ZREM', P .. 'berth:leases', bid)
end

-- 'own': the named runs, in the order given, out of their batches.
local function hand_back(pool)
  local recs = {}
  for i = 5, #ARGV - 1, 2 do
    local b, id = ARGV[i], ARGV[i + 1]
    local r = recs[b]
    if not r then
      local bkey = P .. 'berth:batch:' .. pool .. ':' .. b
      local f = redis.call('HMGET', bkey, 'json', 'revs', 'jobs')
      r = {key = bkey, list = entries(f[1] or nil, f[2] or nil, f[3] or nil), n = 0,
           names = {}, old = f[3] ~= false}
      recs[b] = r
    end
    for k, e in ipairs(r.list) do
      if e.id == id then
        requeue(e, false)
        local name = e.name or parse_job(e.raw)
        if name then r.names[name] = (r.names[name] or 0) + 1 end
        r.n = r.n + 1
        table.remove(r.list, k)
        break
      end
    end
  end
  for b, r in pairs(recs) do
    if r.n > 0 then
      for name, c in pairs(r.names) do unlock(name, pool, c) end
      if redis.call('HINCRBY', r.key, 'left', -r.n) <= 0 then
        redis.call('DEL', r.key)
        redis.call('ZREM', P .. 'berth:leases', pool .. ':' .. b)
      else
        local json, revs = {}, {}
        for k, e in ipairs(r.list) do json[k], revs[k] = e.raw, e.rev end
        redis.call('HSET', r.key, 'json', table.concat(json, '\0'), 'revs', table.concat(revs, ' '))
        if r.old then redis.call('HDEL', r.key, 'jobs') end
        for name, c in pairs(r.names) do redis.call('HINCRBY', r.key, 'n:' .. name, -c) end
      end
    end
  end
end

if mode == 'expired' then
  local bids = redis.call('ZRANGEBYSCORE', P .. 'berth:leases', '-inf', ARGV[4], 'LIMIT', 0,
                          tonumber(ARGV[5]))
  for _, bid in ipairs(bids) do give_up(bid, true) end
elseif mode == 'batches' then
  for i = 5, #ARGV do give_up(ARGV[4] .. ':' .. ARGV[i], false) end
else
  hand_back(ARGV[4])
end
if #out > 0 then wake() end
return out
