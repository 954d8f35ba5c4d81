#!/usr/bin/env bash
# Architecture facts that a reviewer should not have to re-check by hand (issue 12). Each
# check prints the offending lines and the rule; the script fails if any check fails.
# Run by `make test` as the ctest `check_boundaries` (label unit); add new checks as
# functions below and call them at the end. Usage: scripts/check-boundaries.sh [source dir]
# (BERTH_BINARY_DIR names the build whose libberth.so is checked; ctest sets it.)
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

LIB_DIRS="src/util src/model src/store src/db src/scanner src/engine src/period src/hook src/joblog src/jobs"

# The library never exits, aborts or prints: it returns BERTH_E* codes and logs through the
# host's callback (STYLE §4). assert() aborts too. Comments are stripped before matching.
check_library_never_exits_or_prints() {
  local code hits
  code=$(find $LIB_DIRS -name '*.[ch]' -print0 | xargs -0 awk '
    FNR == 1 { inc = 0 }
    { line = $0
      if (inc) { if (sub(/.*\*\//, "", line)) inc = 0; else next }
      gsub(/\/\*([^*]|\*+[^*\/])*\*+\//, "", line); sub(/\/\/.*/, "", line)
      if (sub(/\/\*.*/, "", line)) inc = 1
      gsub(/"([^"\\]|\\.)*"/, "\"\"", line)
      print FILENAME ":" FNR ": " line }')
  hits=$(grep -E '[^_[:alnum:]](abort|exit|_exit|_Exit|quick_exit|assert)[[:space:]]*\(' <<<"$code")
  [ -z "$hits" ] || fail "abort()/exit()/assert() in library code (return a BERTH_E* code)" "$hits"
  hits=$(grep -E '[^_[:alnum:]](printf|vprintf|fprintf|vfprintf|puts|fputs|putchar|perror)[[:space:]]*\(|<assert\.h>' <<<"$code")
  [ -z "$hits" ] || fail "library code prints (log through the host's callback)" "$hits"
}

# libberth.so exports only the public API: every dynamic symbol is berth_* (the library is
# built with -fvisibility=hidden; include/berth/api.h's BERTH_API marks what is exported),
# and every function include/berth/ declares is exported (a missing BERTH_API would hide it).
check_exports() {
  local so=${BERTH_BINARY_DIR:-}/libberth.so syms hits
  if [ -z "${BERTH_BINARY_DIR:-}" ]; then
    echo "check-boundaries: BERTH_BINARY_DIR not set, libberth.so exports not checked" >&2
    return
  fi
  [ -f "$so" ] || { fail "no $so to check (build the berth_shared target)" ""; return; }
  syms=$(nm -D --defined-only "$so" | awk '{print $3}' | sort -u)
  hits=$(grep -v '^berth_' <<<"$syms")
  [ -z "$hits" ] || fail "libberth.so exports symbols that are not berth_*" "$hits"
  hits=$(cat include/berth/*.h "$BERTH_BINARY_DIR"/generated/include/berth/*.h 2>/dev/null |
         grep -oE '^BERTH_API [^(]*[^_[:alnum:]]berth_[_[:alnum:]]+\(' |
         grep -oE 'berth_[_[:alnum:]]+\($' | tr -d '(' | sort -u | comm -23 - <(printf '%s\n' "$syms"))
  [ -z "$hits" ] || fail "declared BERTH_API but not exported by libberth.so" "$hits"
  hits=$(grep -nE '^(const |struct |unsigned )?[_[:alnum:]]+[ *]+berth_[_[:alnum:]]+\(' include/berth/*.h |
         grep -v 'BERTH_API')
  [ -z "$hits" ] || fail "public function without BERTH_API (hidden from libberth.so)" "$hits"
}

# cmocka's assert_*() and fail() longjmp out of the test on failure; on another thread they
# jump into the wrong stack and a failure becomes a crash or is lost. So no function a test
# starts as a thread (pthread_create's third argument), nor any function of the same file it
# calls, may use them: threads record results and the test asserts after joining.
check_test_asserts_on_test_thread() {
  local hits
  hits=$(python3 - tests <<'PY'
import os, re, sys
ASSERT = re.compile(r'\b(assert_\w+|fail|fail_msg|skip)\s*\(')
def bodies(text):   # top-level function name -> body text
    out = {}
    for m in re.finditer(r'^[A-Za-z_][^;{}()]*?\b(\w+)\s*\([^;{}]*\)\s*\{', text, re.M):
        depth, i = 1, m.end()
        while depth and i < len(text):
            depth += {'{': 1, '}': -1}.get(text[i], 0)
            i += 1
        out[m.group(1)] = text[m.end():i]
    return out
for root, _, files in os.walk(sys.argv[1]):
    for f in sorted(files):
        if not f.endswith('.c'):
            continue
        path = os.path.join(root, f)
        text = re.sub(r'/\*.*?\*/|//[^\n]*', '', open(path, errors='replace').read(), flags=re.S)
        fns = bodies(text)
        todo = re.findall(r'pthread_create\s*\([^,]*,[^,]*,\s*&?(\w+)', text)
        seen = set()
        while todo:
            fn = todo.pop()
            if fn in seen or fn not in fns:
                continue
            seen.add(fn)
            if ASSERT.search(fns[fn]):
                print(f'{path}: {fn}() runs on a thread and uses a cmocka assertion')
            todo += [c for c in re.findall(r'\b(\w+)\s*\(', fns[fn]) if c in fns]
PY
)
  [ -z "$hits" ] || fail "cmocka assertion off the test's thread (collect results, assert after join)" "$hits"
}

# Every buf has a cap (STYLE §7) or says why it needs none: a buf_init(..., 0) carries a
# "no cap:" comment on its line or the line above (the line above may cover two inits in a row).
check_buf_caps() {
  local hits
  hits=$(find src -name '*.c' -print0 | xargs -0 awk '
    FNR == 1 { p1 = ""; p2 = "" }
    /buf_init\([^,]*, *0\)/ && !/no cap:/ && p1 !~ /no cap:/ &&
      !(p2 ~ /no cap:/ && p1 ~ /buf_init\([^,]*, *0\)/) { print FILENAME ":" FNR ": " $0 }
    { p2 = p1; p1 = $0 }')
  [ -z "$hits" ] || fail "buf_init(..., 0) without a cap or a \"no cap:\" comment saying why" "$hits"
}

# Tests wait through tests/support/wait.h (wait_until polls with a deadline; wait_sleep_ms
# is the one fixed sleep, for negative checks, a test's input or pacing): no other sleep
# call in tests/, so a fixed sleep before a positive check has nowhere to hide.
check_test_sleeps() {
  local hits
  hits=$(grep -rnE --include='*.c' '(^|[^_[:alnum:]."])(usleep|nanosleep|sleep)[[:space:]]*\(' tests |
         grep -v '^tests/support/wait\.c:')
  [ -z "$hits" ] || fail "sleep outside tests/support/wait.c (use wait_until, or wait_sleep_ms for a negative check)" "$hits"
}

check_hiredis_only_in_store
check_library_never_exits_or_prints
check_exports
check_test_asserts_on_test_thread
check_buf_caps
check_test_sleeps
exit $status
