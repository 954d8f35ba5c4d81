-- Hook dispatch leadership: one node at a time delivers hooks, so events of a job go out
-- in order. ARGV: prefix, now, pool, ttl_ms. Takes the lock if free, renews it if held by
-- pool. Returns 1 when pool leads, 0 otherwise.
local key, pool, ttl = P .. 'berth:hooks:leader', ARGV[3], ARGV[4]
local cur = redis.call('GET', key)
if cur == pool then
  redis.call('PEXPIRE', key, ttl)
  return 1
end
if not cur and redis.call('SET', key, pool, 'NX', 'PX', ttl) then return 1 end
return 0
