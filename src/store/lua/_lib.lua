-- Shared helpers, prepended to every script by cmake/embed_lua.cmake.
-- Every script takes ARGV[1] = key prefix "{ns}:" (namespace in braces, so all keys of a
-- namespace hash to one Redis Cluster slot) and ARGV[2] = now (unix seconds).
-- Status codes and the compare-and-set rule are Harbor's (spec §3.4, §5.3).
local P = ARGV[1]
local NOW = tonumber(ARGV[2])
local CODES = {Pending = 0, Scheduled = 1, Running = 2, Stopped = 3, Error = 3, Success = 3}

local function code(s) return CODES[s] or 0 end
local function is_final(s) return s == 'Stopped' or s == 'Error' or s == 'Success' end

-- Allowed if the writer's revision is newer, or same revision and the status moves forward
-- (or is set again). A missing hash counts as code 0, revision 0.
local function cas_allowed(stored, srev, target, rev)
  if srev < rev then return true end
  return srev == rev and (code(stored) < code(target) or stored == target)
end

-- Harbor's hook ack (spec §9.4) of a stats hash: {status, revision, check_in_at} or nil
-- when there is none (an ack that does not decode reads as an empty one, older than any
-- revision). ack_put writes it as Harbor's HookAckScript does (the same cjson table, so
-- the same bytes).
local function ack_get(skey)
  local v = redis.call('HGET', skey, 'ack')
  if not v then return nil end
  local ok, a = pcall(cjson.decode, v)
  if not ok or type(a) ~= 'table' then a = {} end
  return {status = tostring(a.status or ''), revision = tonumber(a.revision) or 0,
          check_in_at = tonumber(a.check_in_at) or 0}
end

local function ack_put(skey, status, rev, cat)
  redis.call('HSET', skey, 'ack', cjson.encode({['status'] = status, ['revision'] = rev,
                                                ['check_in_at'] = cat}))
end

-- Append a status event to the durable hook outbox (delivered by the hook dispatcher),
-- in the same script as the change it reports. The event carries the job's stats as they
-- are now (fields 'h.<name>', all but the parameters), so its metadata is the job's at
-- the event, as Harbor's tracker sends it, even if the stats hash has expired or been
-- deleted by the time the event is delivered. Which tracker Harbor sends it from decides
-- two fields (`loaded`):
--  * a run's events (Running, check-ins, its final status: loaded false) come from the
--    tracker its worker loaded before the run started, when the job had no ack (a fresh
--    job) or only its previous revision's, which Berth has dropped at the reset: no `ack`;
--    and that tracker holds the run's last check-in message (Berth's check-in list,
--    {ns}:berth:checkins:<id>, has it; the stats hash does not);
--  * an API stop, an unschedule and the sweep (loaded true) load the stats first: `ack`
--    is the stored one, and there is no check-in message (Load blanks it).
-- 't' is the event's check_in_at as its metadata says (the check-in's time, or the job's
-- last check-in): Harbor acks that value and compares it in its outdated check.
-- Bounded: at HOOK_OUTBOX_MAX undelivered events new ones are counted in
-- {ns}:berth:hooks:dropped instead (the oldest, already waiting, are kept; docs/hooks.md).
local HOOK_OUTBOX_MAX = 1000000
local function hook(id, status, rev, url, checkin, checkin_at, loaded)
  if not url or url == '' then return end
  local key = P .. 'berth:hooks'
  if redis.call('XLEN', key) >= HOOK_OUTBOX_MAX then
    redis.call('INCR', P .. 'berth:hooks:dropped')
    return
  end
  local skey = P .. 'job_stats:' .. id
  local h = redis.call('HGETALL', skey)
  local snap, last_at = {}, false
  for f = 1, #h, 2 do
    if h[f] ~= 'parameters' and h[f] ~= 'ack' and h[f] ~= 'check_in' then
      snap[#snap + 1] = 'h.' .. h[f]
      snap[#snap + 1] = h[f + 1]
    end
    if h[f] == 'check_in_at' then last_at = h[f + 1] end
  end
  local cat = tonumber(checkin_at) or 0
  if cat == 0 then cat = tonumber(last_at) or 0 end
  local args = {'j', id, 's', status, 'r', rev, 'u', url, 'c', checkin or '', 't', cat, 'at', NOW}
  for i = 1, #snap do args[#args + 1] = snap[i] end
  local a = loaded and ack_get(skey)
  if a then
    args[#args + 1] = 'h.ack'
    args[#args + 1] = cjson.encode(a)
  end
  if not loaded and (checkin or '') == '' and last_at then
    local last = redis.call('LINDEX', P .. 'berth:checkins:' .. id, 0)
    local at, msg = string.match(last or '', '^(%d+) (.*)$')
    if at == last_at then
      args[#args + 1] = 'h.check_in'
      args[#args + 1] = msg
    end
  end
  redis.call('XADD', key, '*', unpack(args))
end

-- Final-status bookkeeping: TTL on the stats, in-progress counter (spec §5.5). A job with
-- no hook URL can never be acked, so its in-progress entry goes at once (Harbor leaks it).
-- Each final status is also counted per minute ({ns}:berth:throughput:<minute start>, a hash
-- status → count kept 65 min) for the dashboard's throughput and failures.
-- A script that finalizes many jobs may set TALLY = {} first and call tally_flush() at its
-- end: the per-minute counts are then written once per status, not once per job.
local TALLY = nil
local function count_final(status, c)
  local tkey = P .. 'berth:throughput:' .. (NOW - NOW % 60)
  if redis.call('HINCRBY', tkey, status, c) == c then redis.call('EXPIRE', tkey, 3900) end
end
local function tally_flush()
  for status, c in pairs(TALLY or {}) do count_final(status, c) end
  TALLY = nil
end
local function finalize(skey, id, status, url)
  redis.call('EXPIRE', skey, status == 'Error' and 604800 or 86400)
  if TALLY then TALLY[status] = (TALLY[status] or 0) + 1 else count_final(status, 1) end
  local ip = P .. 'job_track:inprogress'
  if not url or url == '' then
    redis.call('HDEL', ip, id)
  elseif redis.call('HINCRBY', ip, id, -1) <= 0 then
    redis.call('HDEL', ip, id)
  end
end

-- Status compare-and-set with its bookkeeping, without a hook (Harbor's
-- UpdateStatusWithRetry). Returns 'ok' or the stored status (false when the hash is
-- missing and the write was refused, which cannot happen), and the hook URL.
-- st: the stats' status, revision and web_hook_url if the caller has just read them.
local function write_status(id, target, rev, st)
  local skey = P .. 'job_stats:' .. id
  st = st or redis.call('HMGET', skey, 'status', 'revision', 'web_hook_url')
  local stored, srev = st[1], tonumber(st[2]) or 0
  if not cas_allowed(stored, srev, target, rev) then return stored, st[3] end
  redis.call('HSET', skey, 'status', target, 'update_time', NOW)
  if is_final(target) then finalize(skey, id, target, st[3]) end
  return 'ok', st[3]
end

-- Status compare-and-set with all its side effects, the hook included (`loaded`: see hook()).
local function set_status(id, target, rev, checkin, loaded, st)
  local res, url = write_status(id, target, rev, st)
  if res == 'ok' then hook(id, target, rev, url, checkin, 0, loaded) end
  return res
end

-- Wake idle fetchers (they subscribe to the wake channel) only when one is idle, so a
-- busy system pays nothing for wake-ups.
local function wake()
  if redis.call('SCARD', P .. 'berth:idle') > 0 then
    redis.call('PUBLISH', P .. 'berth:wake', '1')
  end
end

-- Job JSON (gocraft layout): Berth writes {"name":..,"id":..,"t":..,"args":..} and, for a
-- unique job, {"name":..,"id":..,"t":..,"unique":true,"args":..} (the flag before the
-- parameters, so that the head alone tells it, whatever the parameters hold). Anything
-- else (a periodic execution, a job written by another tool or by Berth before the flag
-- moved: ..."args":{..},"unique":true}) is decoded in full.
-- Returns name, gocraft id, effective id (execution id for periodic executions), unique.
local HEAD = '^{"name":"([^"\\]*)","id":"([^"\\]*)","t":%d+,'
local function parse_job(raw)
  local name, id = string.match(raw, HEAD .. '"args":')
  local unique = false
  if not name then
    name, id = string.match(raw, HEAD .. '"unique":true,"args":')
    unique = true
  end
  if name and string.sub(raw, -15) ~= ',"unique":true}' and
     not string.find(raw, '_job_kind_periodic_', 1, true) then
    return name, id, id, unique
  end
  local ok, j = pcall(cjson.decode, raw)
  if not ok or type(j) ~= 'table' then return nil end
  local periodic
  name, id, unique = j.name, j.id, j.unique == true
  if type(j.args) == 'table' then periodic = j.args['_job_kind_periodic_'] end
  if periodic ~= nil then return name, id, id .. '@' .. tostring(periodic), unique end
  return name, id, id, unique
end

-- Harbor frees a unique job's lock when the job is picked up or stopped. The lock holds
-- the id of the job that took it, and only that job may free it: a lock taken since by
-- another job with the same parameters stays. A lock holding '1' was taken by Harbor
-- (gocraft's enqueue writes '1', not an id): the unique job Harbor queued with it frees it
-- (docs/compat.md, "Taking over from Harbor").
local function release_unique(key, holder)
  if key == '' then return end
  local v = redis.call('GET', key)
  if v == holder or v == '1' then redis.call('DEL', key) end
end
