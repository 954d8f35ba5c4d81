-- Apply the outcomes of many job runs (and check-ins) in one round trip.
-- ARGV: prefix, now, pool, count, then per op 6 args: op, effective id, name, revision, a, b
--   op 'S' success, 'E' error (a = retry-at epoch or '' for no retry, b = job JSON for the
--      retry set), 'R' a worker started the run (Running and its hook now, not at fetch),
--      'C' check-in (a = message), 'U' unique-lock release (id = the job that
--      must hold the lock, a = key; Harbor releases it when a job is picked up).
-- For S/E: status CAS to Success/Error (a job stopped meanwhile keeps Stopped: final
-- statuses never replace each other within a revision), periodic executions marked done,
-- the retry entry added, and the lease + running entry + concurrency count released,
-- but only if this node still owns the run (a reaped run may be running elsewhere).
-- Returns one entry per op: 'ok' or the stored status that refused the change.
local pool, n = ARGV[3], tonumber(ARGV[4])
local out = {}
local released = {}
for k = 0, n - 1 do
  local b = 5 + k * 6
  local op, id, name, rev, a, extra = ARGV[b], ARGV[b + 1], ARGV[b + 2], tonumber(ARGV[b + 3]),
                                      ARGV[b + 4], ARGV[b + 5]
  local skey = P .. 'job_stats:' .. id
  if op == 'U' then
    release_unique(a, id)
    out[#out + 1] = 'ok'
  elseif op == 'R' then
    -- Only the revision fetched, only from Pending/Scheduled, only while the stats exist
    -- (core's "stop" of a queue deletes them) and only while this node still owns the run
    -- (its lease may have been reaped while it waited): anything else is reported back; on
    -- 'Stopped' the engine raises the run's stop flag, on 'lost' it also drops its outcome.
    local st = redis.call('HMGET', skey, 'status', 'revision')
    local owner = redis.call('HGET', P .. 'berth:running', id)
    if not owner or string.sub(owner, 1, #pool + 1) ~= pool .. '|' then
      out[#out + 1] = 'lost'
    elseif (st[1] == 'Pending' or st[1] == 'Scheduled') and tonumber(st[2]) == rev then
      out[#out + 1] = set_status(id, 'Running', rev, '')
    else
      out[#out + 1] = st[1] or 'missing'
    end
  elseif op == 'C' then
    local st = redis.call('HMGET', skey, 'status', 'revision', 'web_hook_url')
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
    if op == 'S' or op == 'E' then
      out[#out + 1] = set_status(id, op == 'S' and 'Success' or 'Error', rev, '')
      local at = string.find(id, '@', 1, true)
      if at then
        redis.call('ZADD', P .. 'executions:' .. string.sub(id, 1, at - 1), 'XX', -1, id)
      end
      if op == 'E' and a ~= '' and out[#out] == 'ok' then
        -- gocraft and Harbor core read {ns}:retry scores as int64: whole seconds, rounded
        -- down as gocraft's now + back-off is. retry_at is the same score (stop finds the
        -- entry by it).
        local retry_at = math.floor(tonumber(a))
        redis.call('ZADD', P .. 'retry', retry_at, extra)
        redis.call('HSET', skey, 'retry_at', retry_at)
      end
    end
    local owner = redis.call('HGET', P .. 'berth:running', id)
    if owner and string.sub(owner, 1, #pool + 1) == pool .. '|' then
      redis.call('HDEL', P .. 'berth:running', id)
      redis.call('ZREM', P .. 'berth:leases', id)
      released[name] = (released[name] or 0) + 1
    end
  end
end
for name, c in pairs(released) do
  redis.call('DECRBY', P .. 'jobs:' .. name .. ':lock', c)
  redis.call('HINCRBY', P .. 'jobs:' .. name .. ':lock_info', pool, -c)
end
return out
