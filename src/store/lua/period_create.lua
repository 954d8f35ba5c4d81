-- Store a periodic policy and its stats (spec §7.2). ARGV: prefix, now, policy id,
-- numeric id candidate, policy JSON, then stats field/value pairs.
-- The numeric id is the policy's score in {ns}:period:policies and unschedule removes by
-- score, so a taken score moves to the next free one (Harbor can collide). The policy
-- fires strictly after its creation: {ns}:berth:period:fired starts at now.
-- Returns the numeric id.
local id, n, pjson = ARGV[3], tonumber(ARGV[4]), ARGV[5]
local policies = P .. 'period:policies'
while redis.call('ZCOUNT', policies, n, n) > 0 do n = n + 1 end
redis.call('ZADD', policies, n, pjson)
redis.call('HSET', P .. 'berth:period:index', id, n)
redis.call('HSET', P .. 'berth:period:fired', id, NOW)
local fields = {'numeric_policy_id', n}
for i = 6, #ARGV do fields[#fields + 1] = ARGV[i] end
stats_hset(P .. 'job_stats:' .. id, fields, 1, #fields, false)
redis.call('HSET', P .. 'job_track:inprogress', id, 2)
redis.call('INCR', P .. 'berth:period:version')
return n
