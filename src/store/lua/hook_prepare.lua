-- Before sending hook events: for each (stream id, job id, status, revision, check_in_at)
-- decide whether the event is outdated against the job's stored ack (spec §9.3: the ack's
-- revision is newer; or same revision and the ack's status code is after the event's; or
-- same revision, equal code and ack.check_in_at >= the event's), and return the job's
-- stats hash for the payload's metadata.
-- ARGV: prefix, now, count, then 5 per event. Returns per event {outdated 0|1, hgetall}.
local n = tonumber(ARGV[3])
local out = {}
for k = 0, n - 1 do
  local b = 4 + k * 5
  local id, status, rev, cat = ARGV[b + 1], ARGV[b + 2], tonumber(ARGV[b + 3]), tonumber(ARGV[b + 4])
  local skey = P .. 'job_stats:' .. id
  local old = 0
  local a = ack_get(skey)
  if a then
    if a.revision > rev then old = 1
    elseif a.revision == rev then
      local ac, ec = code(a.status), code(status)
      if ac > ec or (ac == ec and a.check_in_at >= cat) then old = 1 end
    end
  end
  out[#out + 1] = {old, redis.call('HGETALL', skey)}
end
return out
