#!/bin/sh
# The library example the README shows (examples/hello_job.c) builds and runs: the binary
# CMake built runs one HELLO job to Success against a real redis-server started here, its
# log lines arrive through cfg.log; in the release preset the README's exact build command
# is run too and its binary does the same. Stops the Redis it started by pid.
set -eu
src=${BERTH_SOURCE_DIR:?} bin=${BERTH_BINARY_DIR:?}
tmp=$(mktemp -d /tmp/berth-example-XXXXXX)
redis=
cleanup() { [ -n "$redis" ] && kill "$redis" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "check_example: $*" >&2; exit 1; }

redis-server --port 0 --unixsocket "$tmp/redis.sock" --save '' --appendonly no \
  --dir "$tmp" --logfile "$tmp/redis.log" --daemonize no &
redis=$!
i=0
until redis-cli -s "$tmp/redis.sock" ping >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -lt 100 ] || fail "redis-server did not start"; sleep 0.1
done

run() {   # run <binary>: one HELLO job to Success, logged through cfg.log
  "$1" "$tmp/redis.sock" >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/out" "$tmp/err" >&2; fail "$1 failed"; }
  grep -Eq '^launched HELLO job [0-9a-f]{24}$' "$tmp/out" || fail "no launch line: $(cat "$tmp/out")"
  grep -Eq '^job [0-9a-f]{24} ended Success$' "$tmp/out" || fail "no Success: $(cat "$tmp/out")"
  grep -q 'hello, {"who":"world"}' "$tmp/err" || fail "the job's log line is missing: $(cat "$tmp/err")"
  grep -q 'engine .* started' "$tmp/err" || fail "the engine's log is missing"
}

[ -x "$bin/hello_job" ] || fail "no $bin/hello_job: build the tree first"
run "$bin/hello_job"
# A launch the example's validate refuses changes nothing: checked by the library tests;
# here the refusal of a missing Redis is: exit 1 with a message, not a crash.
if "$bin/hello_job" "$tmp/no.sock" >/dev/null 2>"$tmp/err2"; then fail "ran without Redis"; fi
grep -q 'hello_job: redis error' "$tmp/err2" || fail "no clear error without Redis: $(cat "$tmp/err2")"

if [ "$(basename "$bin")" = release ]; then
  cmd=$(grep -E '^ *cc -std=c11 -Iinclude examples/hello_job.c ' "$src/README.md" | head -1 | sed 's/^ *//')
  [ -n "$cmd" ] || fail "README shows no build command for examples/hello_job.c"
  (cd "$src" && eval "$(echo "$cmd" | sed "s#build/release/#$bin/#; s#-o hello_job#-o $tmp/hello_job#")") ||
    fail "the README's command does not build: $cmd"
  run "$tmp/hello_job"
fi
echo "check_example: ok"
