-- One status compare-and-set (spec §5.3) with its side effects (TTL, in-progress, hook).
-- ARGV: prefix, now, id, target status, revision of the writer.
-- Returns 'ok' or the stored status (false if none).
return set_status(ARGV[3], ARGV[4], tonumber(ARGV[5]), '', true)
