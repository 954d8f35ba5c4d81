-- Put runs back at the head of their queues: the reaper's expired leases, or a node's own
-- unfinished runs at shutdown. ARGV: prefix, now, mode, then
--   mode 'expired': deadline_ms, limit   (any node; runs whose lease ended before deadline)
--   mode 'own':     pool, id1, id2, ...  (only runs this pool still owns)
-- The stats keep saying Running (a started run; the next fetch sees that and Resets with a
-- new revision) or Pending/Scheduled (a prefetched run, or one a worker had started before
-- its Running reached Redis). An expired lease's Pending/Scheduled job gets a new revision
-- here: its dead or frozen node may have started it, and a frozen node that wakes up must
-- not finish the next run under the same revision (finish.lua's S/E go by revision alone).
-- Returns the list of requeued effective ids.
local mode = ARGV[3]

local function new_revision_if_waiting(id)
  local skey = P .. 'job_stats:' .. id
  local st = redis.call('HMGET', skey, 'status', 'revision')
  if st[1] == 'Pending' or st[1] == 'Scheduled' then
    local rev = math.max(NOW, (tonumber(st[2]) or 0) + 1)
    redis.call('HSET', skey, 'revision', rev, 'update_time', NOW)
    redis.call('HDEL', skey, 'ack', 'check_in', 'check_in_at')
  end
end
local ids = {}
if mode == 'expired' then
  ids = redis.call('ZRANGEBYSCORE', P .. 'berth:leases', '-inf', ARGV[4], 'LIMIT', 0, tonumber(ARGV[5]))
else
  for i = 5, #ARGV do ids[#ids + 1] = ARGV[i] end
end
local out = {}
for _, id in ipairs(ids) do
  local v = redis.call('HGET', P .. 'berth:running', id)
  local sep = v and string.find(v, '|', 1, true)
  local owner = sep and string.sub(v, 1, sep - 1)
  if sep and (mode == 'expired' or owner == ARGV[4]) then
    local raw = string.sub(v, sep + 1)
    local name = parse_job(raw)
    if name then
      if mode == 'expired' then new_revision_if_waiting(id) end
      redis.call('RPUSH', P .. 'jobs:' .. name, raw)
      local lock = redis.call('DECR', P .. 'jobs:' .. name .. ':lock')
      if lock < 0 then redis.call('SET', P .. 'jobs:' .. name .. ':lock', 0) end
      if redis.call('HINCRBY', P .. 'jobs:' .. name .. ':lock_info', owner, -1) <= 0 then
        redis.call('HDEL', P .. 'jobs:' .. name .. ':lock_info', owner)
      end
    else
      redis.call('ZADD', P .. 'dead', NOW, raw)
    end
    out[#out + 1] = id
  end
  if v == false or mode == 'expired' or owner == ARGV[4] then
    redis.call('HDEL', P .. 'berth:running', id)
    redis.call('ZREM', P .. 'berth:leases', id)
  end
end
if #out > 0 then wake() end
return out
