-- Move due jobs from the scheduled and retry sets to their queues (gocraft's requeuers,
-- batched). ARGV: prefix, now (unix s), limit, now_ms. Returns {moved, next_due_ms} where
-- next_due_ms is the earliest remaining due time in ms ('' if nothing is waiting).
-- A Scheduled job Berth launched is in {ns}:berth:scheduled_ms at its exact due time and in
-- {ns}:scheduled at that time rounded up to a second: it is moved by the first (never
-- early, never a second late); the second only catches what other writers put there
-- (Harbor, periodic executions, whose times are whole seconds). An entry of the ms index
-- whose {ns}:scheduled twin is gone was stopped or taken by another node: it is dropped.
local limit = tonumber(ARGV[3])
local now_ms = tonumber(ARGV[4])
local moved = 0
local function push(raw)
  local name = parse_job(raw)
  if name and redis.call('SISMEMBER', P .. 'known_jobs', name) == 1 then
    redis.call('LPUSH', P .. 'jobs:' .. name, raw)
    moved = moved + 1
  else
    redis.call('ZADD', P .. 'dead', NOW, raw)
  end
end
local idx = P .. 'berth:scheduled_ms'
for _, raw in ipairs(redis.call('ZRANGEBYSCORE', idx, '-inf', now_ms, 'LIMIT', 0, limit)) do
  redis.call('ZREM', idx, raw)
  if redis.call('ZREM', P .. 'scheduled', raw) == 1 then push(raw) end
end
for _, set in ipairs({'scheduled', 'retry'}) do
  local key = P .. set
  local due = redis.call('ZRANGEBYSCORE', key, '-inf', NOW, 'LIMIT', 0, limit)
  for _, raw in ipairs(due) do
    redis.call('ZREM', key, raw)
    if set == 'scheduled' then redis.call('ZREM', idx, raw) end
    push(raw)
  end
end
local nxt = ''
local function consider(key, scale)
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if first[2] then
    local at = tonumber(first[2]) * scale
    if nxt == '' or at < nxt then nxt = at end
  end
end
consider(idx, 1)
consider(P .. 'scheduled', 1000)
consider(P .. 'retry', 1000)
if moved > 0 then wake() end
return {moved, nxt == '' and '' or string.format('%d', nxt)}
