#!/usr/bin/env bash
# `make fuzz`'s runs: each libFuzzer target (already built in DIR) for SECONDS on a working
# copy of its committed seed corpus (DIR/corpus/<name>, seeds tests/fuzz/corpus/<name>),
# JOBS targets at a time. Each target is one process on one core, so on an otherwise idle
# machine JOBS = the core count gives every target the same CPU as one after another, in a
# JOBS-th of the time (CI: 15 targets x 20 s = 300 s one after another, 150 s on 2 cores).
# A crash, leak or timeout lands in DIR/artifacts/ and fails the run: its log's end is
# printed, the targets already running finish, and no new one starts.
# Usage: scripts/fuzz.sh DIR SECONDS JOBS TARGET...
set -uo pipefail
dir=$1 secs=$2 jobs=$3
shift 3
mkdir -p "$dir/artifacts"

run_one() {
  local t=$1 c=${1#fuzz_}
  mkdir -p "$dir/corpus/$c"
  if ! "$dir/$t" -max_total_time="$secs" -timeout=10 -print_final_stats=1 \
       -artifact_prefix="$dir/artifacts/$t-" "$dir/corpus/$c" "tests/fuzz/corpus/$c" \
       >"$dir/$t.log" 2>&1; then
    { tail -60 "$dir/$t.log"; echo "fuzz: $t FAILED"; } >&2
    return 1
  fi
  local runs cov
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/$t.log")
  cov=$(grep -o 'cov: [0-9]*' "$dir/$t.log" | tail -1)
  echo "fuzz: $t ok: $runs runs in $secs s, $cov, corpus $(ls "$dir/corpus/$c" | wc -l)"
}

failed=0 running=0
for t in "$@"; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n || failed=1
    running=$((running - 1))
  fi
  [ "$failed" -eq 0 ] || break
  run_one "$t" &
  running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
  wait -n || failed=1
  running=$((running - 1))
done
exit "$failed"
