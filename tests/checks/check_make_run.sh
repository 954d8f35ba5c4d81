#!/bin/sh
# `make run` builds only what it runs: the berthd and berth targets, whose inputs hold no
# test, example or benchmark source (a first `make run` used to build the whole suite).
set -eu
src=${BERTH_SOURCE_DIR:?} bin=${BERTH_BINARY_DIR:?}
preset=$(basename "$bin")
fail() { echo "check_make_run: $*" >&2; exit 1; }

plan=$(make -s -n -C "$src" run PRESET="$preset")
echo "$plan" | grep -q -- "cmake --build --preset $preset --target berthd berth" ||
  fail "make run does not build just berthd and berth; it runs: $plan"
echo "$plan" | grep -E -- "cmake --build --preset $preset *$" &&
  fail "make run still builds every target"
extra=$(ninja -C "$bin" -t inputs berthd berth | grep -E '(^|/)(tests|bench|examples)/' || true)
[ -z "$extra" ] || fail "berthd/berth depend on: $extra"
echo "check_make_run: ok (make run builds berthd and berth only)"
