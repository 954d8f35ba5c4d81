-- Settle hook events. ARGV: prefix, now, count, then 7 per event:
--   stream id, job id, status, revision, check_in_at, outcome, reason
--   (check_in_at: the event's metadata check_in_at, the check-in's time or the job's last
--   check-in, which Harbor's agent acks)
-- outcome 'A' delivered: Harbor's ack (spec §9.4) is written when allowed (an ack exists
--   and (its revision is older, or same revision and its status code <= the event's, or
--   same revision and check_in_at != 0); or no ack and the stored revision <= the event's),
--   and for a final status the in-progress counter goes down (HDEL at 0);
-- 'P' parked: copied to {ns}:berth:hooks:parked with the reason, for an operator to replay;
-- 'D' dropped (outdated). Every settled event leaves the outbox (XACK + XDEL).
-- Returns the number settled.
local n = tonumber(ARGV[3])
local stream = P .. 'berth:hooks'
for k = 0, n - 1 do
  local b = 4 + k * 7
  local sid, id, status = ARGV[b], ARGV[b + 1], ARGV[b + 2]
  local rev, cat, outcome, reason = tonumber(ARGV[b + 3]), tonumber(ARGV[b + 4]), ARGV[b + 5], ARGV[b + 6]
  if outcome == 'A' then
    local skey = P .. 'job_stats:' .. id
    local a = ack_get(skey)
    local allowed
    if a then
      allowed = a.revision < rev or (a.revision == rev and (code(a.status) <= code(status) or cat ~= 0))
    else
      allowed = (tonumber(redis.call('HGET', skey, 'revision')) or 0) <= rev
    end
    if allowed and redis.call('EXISTS', skey) == 1 then
      ack_put(skey, status, rev, cat)
      if is_final(status) then
        local ip = P .. 'job_track:inprogress'
        if redis.call('HINCRBY', ip, id, -1) <= 0 then redis.call('HDEL', ip, id) end
      end
    end
  elseif outcome == 'P' then
    local e = redis.call('XRANGE', stream, sid, sid)
    if e[1] then
      local f = e[1][2]
      f[#f + 1] = 'reason'
      f[#f + 1] = reason
      f[#f + 1] = 'parked_at'
      f[#f + 1] = NOW
      redis.call('XADD', P .. 'berth:hooks:parked', 'MAXLEN', '~', 100000, '*', unpack(f))
    end
  end
  redis.call('XACK', stream, 'berth', sid)
  redis.call('XDEL', stream, sid)
end
return n
