-- Shared helpers, prepended to every script by cmake/embed_lua.cmake.
-- Every script takes ARGV[1] = key prefix "{ns}:" (namespace in braces, so all keys of a
-- namespace hash to one Redis Cluster slot) and ARGV[2] = now (unix seconds).
-- Status codes and the compare-and-set rule are Harbor's (spec §3.4, §5.3).
local P = ARGV[1]
local NOW = tonumber(ARGV[2])
-- now as the text redis.call takes: a Lua number passed to redis.call is formatted with
-- sprintf on every call (a large part of a drain script's cost).
local NOWS = tostring(NOW)
local CODES = {Pending = 0, Scheduled = 1, Running = 2, Stopped = 3, Error = 3, Success = 3}

local function code(s) return CODES[s] or 0 end
local function is_final(s) return s == 'Stopped' or s == 'Error' or s == 'Success' end

-- Allowed if the writer's revision is newer, or same revision and the status moves forward
-- (or is set again). A missing hash counts as code 0, revision 0. The revisions may be
-- numbers or their decimal text (as read from the hash or ARGV): equal texts need no
-- conversion, which is most calls (strtod is costly in a script).
local function cas_allowed(stored, srev, target, rev)
  if srev ~= rev then
    srev, rev = tonumber(srev) or 0, tonumber(rev) or 0
    if srev < rev then return true end
    if srev ~= rev then return false end
  end
  return code(stored) < code(target) or stored == target
end

-- ---- The stats hash {ns}:job_stats:<id> (docs/redis-schema.md, "Stats hash") ----------
-- Every stats hash must stay in Redis's compact listpack encoding whatever happens to the
-- job: Redis converts a hash to a hashtable for good as soon as one value is longer than
-- hash-max-listpack-value (64 by default; Berth never changes a shared server's config),
-- which costs about three times the memory for the job's whole TTL. So:
--  * a value longer than STATS_PIECE bytes is kept in pieces 'f#1', 'f#2', ... (each at
--    most STATS_PIECE bytes, the field 'f' itself absent); stats_long() joins them. A value
--    of more than STATS_MAX_PIECES pieces (3 KiB) is stored whole: the hash must also stay
--    under hash-max-listpack-entries (128), and for such a job the hashtable's overhead is
--    a small part of its size;
--  * what can be derived is not stored: 'id' (the key's), 'kind' Generic, 'unique' false,
--    Harbor's 'check_in' placeholder;
--  * fields only Berth's C reader reads get short names (STATS_SHORT);
--  * the ack is "<status> <revision> [<check_in_at - revision>]" (ack_put), not Harbor's
--    JSON, which is 66 bytes once check_in_at is set.
-- The C reader (src/model/stats_hash.c) reads this layout and Harbor's.
local STATS_PIECE = 64
local STATS_MAX_PIECES = 48
local STATS_SHORT = {name = 'n', enqueue_time = 'e', parameters = 'p'}
local STATS_DERIVED = {id = true, check_in = true}
-- fields the hook snapshot leaves out (the parameters in either name, the ack, check_in)
local NOT_SNAPSHOT = {parameters = true, p = true, ack = true, check_in = true}

-- The value of field f stored in pieces (nil when there is none).
local function stats_long(skey, f)
  local parts, i = {}, 1
  while true do
    local v = redis.call('HGET', skey, f .. '#' .. i)
    if not v then break end
    parts[i] = v
    i = i + 1
  end
  return i > 1 and table.concat(parts) or nil
end

-- The status of a stats hash from an HMGET of 'status', 'revision' (and more): a Generic
-- job untouched since its launch stores none (enqueue.c: its listpack falls into the
-- allocator's next class down, 16 bytes less per queued job), and none means Pending; a
-- hash without a revision is no job at all (false), whatever else it holds. Every reader
-- of the status goes by this rule (fetch.lua, finish.lua's inline success and sweep.lua
-- spell it out on their hot paths); every writer that changes the status writes it.
local function stats_status(st) return st[1] or (st[2] and 'Pending') end

-- status, revision and hook URL (whole, even when in pieces) of a stats hash, for the
-- status writers. st: this HMGET when the caller has made it already.
local function stats_head(skey, st)
  st = st or redis.call('HMGET', skey, 'status', 'revision', 'web_hook_url', 'web_hook_url#1')
  st[1] = stats_status(st)
  if st[4] then st[3] = stats_long(skey, 'web_hook_url') end
  st[4] = nil
  return st
end

-- Drops the pieces of field f of an existing hash (before f is written again).
local function stats_drop_pieces(skey, f)
  local i = 1
  while redis.call('HDEL', skey, f .. '#' .. i) == 1 do i = i + 1 end
end

-- HSET of the stats fields list[from..to] (f1, v1, f2, v2, ...; Harbor's names or Berth's)
-- in Berth's layout. fresh: the hash is new (no pieces or old names to clean up). A fresh
-- hash whose fields are already Berth's and short (what enqueue.c sends) is one plain HSET.
local function stats_hset(skey, fields, from, to, fresh)
  if fresh then
    local plain = true
    for i = from, to, 2 do
      local f, v = fields[i], tostring(fields[i + 1])
      if #v > STATS_PIECE or STATS_SHORT[f] or STATS_DERIVED[f] or
         (f == 'kind' and v == 'Generic') or (f == 'unique' and v == '0') then
        plain = false
        break
      end
    end
    if plain then
      if to > from then redis.call('HSET', skey, unpack(fields, from, to)) end
      return
    end
  end
  local out = {}
  for i = from, to, 2 do
    local f, v = fields[i], tostring(fields[i + 1])
    if STATS_DERIVED[f] or (f == 'kind' and v == 'Generic') or (f == 'unique' and v == '0') then
      if not fresh then redis.call('HDEL', skey, f) end
    else
      local short = STATS_SHORT[f]
      if short then
        if not fresh then redis.call('HDEL', skey, f) end
        f = short
      end
      if not fresh then stats_drop_pieces(skey, f) end
      if #v <= STATS_PIECE or #v > STATS_PIECE * STATS_MAX_PIECES then
        out[#out + 1] = f
        out[#out + 1] = v
      else
        if not fresh then redis.call('HDEL', skey, f) end
        local k = 1
        for at = 1, #v, STATS_PIECE do
          out[#out + 1] = f .. '#' .. k
          out[#out + 1] = string.sub(v, at, at + STATS_PIECE - 1)
          k = k + 1
        end
      end
    end
  end
  if #out > 0 then redis.call('HSET', skey, unpack(out)) end
end

-- A job untouched since its launch has no 'e' and no 'update_time': both equal its revision
-- then (enqueue.c leaves them out: 32 bytes less per queued job), and the readers take the
-- revision for them (src/model/stats_hash.c, sweep.lua). So a script that changes a job's
-- revision calls this first, with the stored revision: it writes the enqueue time that
-- revision stood for (the script writes update_time itself). Harbor's layout keeps its
-- 'enqueue_time'. The scripts that call it run at a reset, a retry, a stop or a given-up
-- lease, never per drained job.
local function keep_e(skey, rev)
  local t = redis.call('HMGET', skey, 'e', 'enqueue_time')
  if rev and not t[1] and not t[2] then redis.call('HSET', skey, 'e', rev) end
end

-- Harbor's hook ack (spec §9.4) of a stats hash: {status, revision, check_in_at} or nil
-- when there is none (an ack that does not decode reads as an empty one, older than any
-- revision). Reads Berth's "<status> <revision> <check_in_at>" and Harbor's JSON.
local function ack_get(skey)
  local v = redis.call('HGET', skey, 'ack')
  if not v then return nil end
  local s, r, d = string.match(v, '^(%a*) (%-?%d+)(.*)$')
  if s and (d == '' or string.match(d, '^ [%+%-]%d+$')) then
    r = tonumber(r)
    return {status = s, revision = r, check_in_at = d == '' and 0 or r + tonumber(string.sub(d, 2))}
  end
  local ok, a = pcall(cjson.decode, v)
  if not ok or type(a) ~= 'table' then a = {} end
  return {status = tostring(a.status or ''), revision = tonumber(a.revision) or 0,
          check_in_at = tonumber(a.check_in_at) or 0}
end

-- Writes the ack as "<status> <revision>" when check_in_at is 0, else "<status> <revision>
-- <check_in_at - revision, signed>" (e.g. "Success 1765000000 +42"): at most 9 + 2 × 21 + 2
-- bytes, always in the compact encoding (Harbor's JSON is 66 bytes once check_in_at is set).
local function ack_put(skey, status, rev, cat)
  local v = cat == 0 and string.format('%s %d', status, rev)
            or string.format('%s %d %+d', status, rev, cat - rev)
  redis.call('HSET', skey, 'ack', v)
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
    if not NOT_SNAPSHOT[h[f]] and not string.find(h[f], '^p#') then
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
-- The TTLs are the namespace's setting {ns}:berth:stats_ttl ("<Success/Stopped> <Error>"
-- seconds, written by every engine at start from its config), read once per script call;
-- absent or bad → Harbor's 1 day and 7 days. Kept as text (see NOWS).
local STATS_TTL
local function stats_ttl(status)
  if not STATS_TTL then
    local v = redis.call('GET', P .. 'berth:stats_ttl') or ''
    local ok, err = string.match(v, '^(%d+) (%d+)$')
    ok, err = tonumber(ok) or 0, tonumber(err) or 0
    STATS_TTL = {tostring(ok >= 1 and ok or 86400), tostring(err >= 1 and err or 604800)}
  end
  return status == 'Error' and STATS_TTL[2] or STATS_TTL[1]
end
-- The same TTL as PEXPIREAT's absolute deadline (ms, text), from Redis's own clock (TIME,
-- so a node's clock does not move it), read once per call. For a script that expires many
-- hashes: EXPIRE is propagated as PEXPIREAT, so Redis rewrites two of its arguments at
-- every call (a new string object and a command lookup); PEXPIREAT is propagated as it is
-- (about 1.2k instructions less per job in a drain, callgrind).
local STATS_AT
local function stats_expire_at(status)
  if not STATS_AT then
    local t = redis.call('TIME')
    STATS_AT = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return string.format('%d', STATS_AT + stats_ttl(status) * 1000)
end

-- A script that finalizes many jobs may set IP_DONE = {} first and call ip_done_flush() at
-- its end: the in-progress entries of jobs without a hook then go with one HDEL per call,
-- not one per job (the same keys go within the same atomic script).
local IP_DONE = nil
local function ip_done_flush()
  local ip = P .. 'job_track:inprogress'
  for at = 1, #(IP_DONE or {}), 4000 do
    redis.call('HDEL', ip, unpack(IP_DONE, at, math.min(at + 3999, #IP_DONE)))
  end
  IP_DONE = nil
end

local function finalize(skey, id, status, url)
  redis.call('EXPIRE', skey, stats_ttl(status))
  if TALLY then TALLY[status] = (TALLY[status] or 0) + 1 else count_final(status, 1) end
  if not url or url == '' then
    if IP_DONE then
      IP_DONE[#IP_DONE + 1] = id
    else
      redis.call('HDEL', P .. 'job_track:inprogress', id)
    end
  else
    -- -1: the job had no entry (stopped while queued: the entry is written at its fetch),
    -- and its final hook still waits for its ack, which the sweep must be able to chase
    local ip = P .. 'job_track:inprogress'
    local left = redis.call('HINCRBY', ip, id, -1)
    if left == -1 then
      redis.call('HSET', ip, id, 1)
    elseif left <= 0 then
      redis.call('HDEL', ip, id)
    end
  end
end

-- Status compare-and-set with its bookkeeping, without a hook (Harbor's
-- UpdateStatusWithRetry). Returns 'ok' or the stored status (false when the hash is
-- missing and the write was refused, which cannot happen), and the hook URL.
-- st: the stats' status, revision and web_hook_url if the caller has just read them.
local function write_status(id, target, rev, st, skey)
  skey = skey or P .. 'job_stats:' .. id
  st = st or stats_head(skey)
  local stored = st[1]
  if not cas_allowed(stored, st[2], target, rev) then return stored, st[3] end
  redis.call('HSET', skey, 'status', target, 'update_time', NOWS)
  if is_final(target) then finalize(skey, id, target, st[3]) end
  return 'ok', st[3]
end

-- Status compare-and-set with all its side effects, the hook included (`loaded`: see hook()).
local function set_status(id, target, rev, checkin, loaded, st, skey)
  local res, url = write_status(id, target, rev, st, skey)
  if res == 'ok' then hook(id, target, rev, url, checkin, 0, loaded) end
  return res
end

-- Wake idle fetchers (they subscribe to the wake channel) only when one is idle, so a
-- busy system pays nothing for wake-ups.
-- A message to the namespace's subscribers. On a Redis Cluster (the caller declared the
-- prefix as the script's one key: redis.c evalsha) it is SPUBLISH, a shard channel of the
-- namespace's slot, which the cluster delivers within that slot's shard only; a plain
-- PUBLISH there is broadcast over the cluster bus to every node. On a single Redis, plain
-- PUBLISH (shard channels need Redis 7, and Berth supports older ones there).
local function publish(channel, msg)
  redis.call(#KEYS > 0 and 'SPUBLISH' or 'PUBLISH', P .. channel, msg)
end

local function wake()
  if redis.call('SCARD', P .. 'berth:idle') > 0 then
    publish('berth:wake', '1')
  end
end

-- string.find and string.match as locals for parse_job, which a fetch runs per job: read
-- through the globals (string, then its field) at every use they cost Redis about 0.9k
-- instructions per fetched job (callgrind, four uses).
local str_find = string.find
local str_match = string.match

-- Job JSON (gocraft layout): Berth writes {"name":..,"id":..,"t":..,"args":..} and, for a
-- unique job, {"name":..,"id":..,"t":..,"unique":true,"args":..} (the flag before the
-- parameters, so that the head alone tells it, whatever the parameters hold). Anything
-- else (a periodic execution, a job written by another tool or by Berth before the flag
-- moved: ..."args":{..},"unique":true}) is decoded in full.
-- Returns name, gocraft id, effective id (execution id for periodic executions), unique,
-- and true when the JSON is Berth's head for the job name qname. qhead: '{"name":"<qname>",
-- "id":"' (a fetch makes it once per queue: it parses every job it takes, and matching a
-- known head as text leaves one short pattern match for the id, about 1.5k of Redis's
-- instructions less per job than the whole head's; compared with a plain find, which makes
-- no string of the JSON's first bytes: 0.85k less again, lua5.1 under callgrind).
local HEAD = '^{"name":"([^"\\]*)","id":"([^"\\]*)","t":%d+,'
local function parse_job(raw, qname, qhead)
  local name, id, unique, known
  if qhead and str_find(raw, qhead, 1, true) == 1 then
    name, known = qname, true
    id = str_match(raw, '^([^"\\]*)","t":%d+,"args":', #qhead + 1)
    unique = not id
    if unique then
      id = str_match(raw, '^([^"\\]*)","t":%d+,"unique":true,"args":', #qhead + 1)
    end
  else
    name, id = str_match(raw, HEAD .. '"args":')
    unique = not name
    if unique then name, id = str_match(raw, HEAD .. '"unique":true,"args":') end
  end
  if id and not str_find(raw, ',"unique":true}', -15, true) and
     not str_find(raw, '_job_kind_periodic_', 1, true) then
    return name, id, id, unique, known
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
