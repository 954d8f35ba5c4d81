-- Move due jobs from the scheduled and retry sets to their queues (gocraft's requeuers,
-- batched). ARGV: prefix, now, limit. Returns {moved, next_due} where next_due is the
-- earliest remaining score in either set ('' if both are empty).
local limit = tonumber(ARGV[3])
local moved = 0
for _, set in ipairs({'scheduled', 'retry'}) do
  local key = P .. set
  local due = redis.call('ZRANGEBYSCORE', key, '-inf', NOW, 'LIMIT', 0, limit)
  for _, raw in ipairs(due) do
    redis.call('ZREM', key, raw)
    local name = parse_job(raw)
    if name and redis.call('SISMEMBER', P .. 'known_jobs', name) == 1 then
      redis.call('LPUSH', P .. 'jobs:' .. name, raw)
      moved = moved + 1
    else
      redis.call('ZADD', P .. 'dead', NOW, raw)
    end
  end
end
local nxt = ''
for _, set in ipairs({'scheduled', 'retry'}) do
  local first = redis.call('ZRANGE', P .. set, 0, 0, 'WITHSCORES')
  if first[2] and (nxt == '' or tonumber(first[2]) < tonumber(nxt)) then nxt = first[2] end
end
if moved > 0 then wake() end
return {moved, nxt}
