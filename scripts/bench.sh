#!/usr/bin/env bash
# `make bench`: the engine benchmark (bench/bench_engine.c), the command-job benchmark
# (bench/bench_command.c), launches from event loops (bench/launcher_bench.c), then
# launches over HTTP: berthd
# on a private redis-server without persistence, wrk posting Generic launches for 10 s on
# 32 keep-alive connections (the queue is paused so only launching is measured).
# Figures and the machine: docs/benchmarks.md. BENCH_ONLY=joblog runs only the drains with
# status hooks and the REDIS job log (bench_engine's last part); BENCH_CMDSTATS=1 prints
# redis-server's command counts for each drain.
set -euo pipefail
BUILD=${1:-build/release}
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "redis: $(redis-server --version | awk '{print $3}')"
"$BUILD/bench_engine" "${BENCH_JOBS:-200000}" "${BENCH_WORKERS:-4}"
echo "command jobs (/bin/true) against a no-op built-in and bare posix_spawn:"
"$BUILD/bench_command" "${BENCH_COMMAND_JOBS:-20000}" "${BENCH_COMMAND_WORKERS:-8}"
echo "launches from event loops: berth_launcher against berth_engine_launch_async (no HTTP):"
"$BUILD/launcher_bench" "${BENCH_LAUNCHER_SECONDS:-5}"

scripts/bench_http.sh "$BUILD"
