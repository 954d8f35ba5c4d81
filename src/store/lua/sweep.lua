-- Slow housekeeping any node may run (Harbor's reaper, spec §12.2, and gocraft's dead-pool
-- reaper, §6.3), one page at a time.
-- ARGV: prefix, now, cursor, count, max_update_seconds, dead_pool_seconds
--  * in-progress entries whose stats are gone are dropped;
--  * a non-final job whose update_time is older than max_update_seconds is marked Error
--    ("hung job"; the job itself is not killed, as in Harbor);
--  * on the first page of a pass (cursor 0), pools whose heartbeat is older than
--    dead_pool_seconds are removed from the pool set, the idle set and every lock_info.
-- Returns {next cursor, jobs marked Error, pools removed}.
local cursor, count, max_update, dead_after = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local ip = P .. 'job_track:inprogress'
local page = redis.call('HSCAN', ip, cursor, 'COUNT', count)
local hung = 0
local fields = page[2]
for i = 1, #fields, 2 do
  local id = fields[i]
  local st = redis.call('HMGET', P .. 'job_stats:' .. id, 'status', 'update_time', 'revision')
  if not st[1] then
    redis.call('HDEL', ip, id)
  elseif not is_final(st[1]) and (tonumber(st[2]) or 0) + max_update < NOW then
    if set_status(id, 'Error', tonumber(st[3]) or 0, '') == 'ok' then hung = hung + 1 end
  end
end
local dead = 0
if cursor == '0' then
  for _, pool in ipairs(redis.call('SMEMBERS', P .. 'worker_pools')) do
    local beat = tonumber(redis.call('HGET', P .. 'worker_pools:' .. pool, 'heartbeat_at') or '0') or 0
    if beat + dead_after < NOW then
      redis.call('SREM', P .. 'worker_pools', pool)
      redis.call('DEL', P .. 'worker_pools:' .. pool)
      redis.call('SREM', P .. 'berth:idle', pool)
      for _, name in ipairs(redis.call('SMEMBERS', P .. 'known_jobs')) do
        redis.call('HDEL', P .. 'jobs:' .. name .. ':lock_info', pool)
      end
      dead = dead + 1
    end
  end
end
return {page[1], hung, dead}
