#!/usr/bin/env bash
# Architecture facts that a reviewer should not have to re-check by hand (issue 12). Each
# check prints the offending lines and the rule; the script fails if any check fails.
# Run by `make test` as the ctest `check_boundaries` (label unit); add new checks as
# functions below and call them at the end. Usage: scripts/check-boundaries.sh [source dir]
set -uo pipefail
ROOT=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$ROOT" || exit 2
status=0

fail() {   # fail <rule> <offending lines>
  echo "check-boundaries: $1" >&2
  printf '%s\n' "$2" | sed 's/^/  /' >&2
  status=1
}

# The Redis boundary: hiredis is included only by src/store/ (the rest of the code uses
# store/redis.h, store/reply.h, store/pool.h and store/subscribe.h). Tests may use hiredis
# directly to look at what Berth wrote.
check_hiredis_only_in_store() {
  local hits
  hits=$(grep -rn --include='*.c' --include='*.h' '<hiredis/' src include | grep -v '^src/store/')
  [ -z "$hits" ] || fail "<hiredis/...> included outside src/store/" "$hits"
}

check_hiredis_only_in_store
exit $status
