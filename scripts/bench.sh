#!/usr/bin/env bash
# `make bench`: runs the engine benchmark and prints its figures (see docs/benchmarks.md).
set -euo pipefail
BUILD=${1:-build/release}
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "redis: $(redis-server --version | awk '{print $3}')"
"$BUILD/bench_engine" "${BENCH_JOBS:-200000}" "${BENCH_WORKERS:-4}"
