-- Put parked hook events back into the outbox (oldest first), up to `limit`.
-- ARGV: prefix, now, limit. Returns the number replayed.
local parked = P .. 'berth:hooks:parked'
local items = redis.call('XRANGE', parked, '-', '+', 'COUNT', tonumber(ARGV[3]))
for _, e in ipairs(items) do
  local f, keep = e[2], {}
  for i = 1, #f, 2 do
    if f[i] ~= 'reason' and f[i] ~= 'parked_at' then
      keep[#keep + 1] = f[i]
      keep[#keep + 1] = f[i + 1]
    end
  end
  redis.call('XADD', P .. 'berth:hooks', '*', unpack(keep))
  redis.call('XDEL', parked, e[1])
end
return #items
