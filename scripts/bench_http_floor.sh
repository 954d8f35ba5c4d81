#!/usr/bin/env bash
# The machine's HTTP floor for the launch benchmark (bench/http_floor.c): wrk with
# scripts/bench_http.sh's command (2 threads, 32 keep-alive connections, the same launch body)
# against servers that answer a fixed 202 of a launch reply's size without Redis or parsing:
# libmicrohttpd as berthd runs it (epoll, or poll), with and without a suspend + resume from
# another thread per request, a hand-written epoll server, and berthd's http.h layer on its
# own event loop and on libmicrohttpd, answering at once or deferred (berth*). Prints the rate and the CPU
# per request of the server and of wrk (from /proc and time(1): robust under load, the rate
# is not); wrk's CPU from bash's `time`. Usage: scripts/bench_http_floor.sh [build dir] [server threads].
set -euo pipefail
BUILD=${1:-build/release}
THREADS=${2:-$(nproc)}
SECONDS_=${HTTP_BENCH_SECONDS:-10}
HZ=$(getconf CLK_TCK)
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
echo "HTTP floor (wrk 2 threads, 32 connections, ${SECONDS_} s; server threads $THREADS, $(nproc) CPUs):"
for mode in ${HTTP_FLOOR_MODES:-mhd mhd-resume mhd-poll mhd-poll-resume epoll berth berth-defer berth-mhd-defer}; do
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$BUILD/http_floor" "$mode" "$PORT" "$THREADS" &
  SPID=$!
  for _ in $(seq 100); do curl -s -o /dev/null -X POST -d x "http://127.0.0.1:$PORT/" && break; sleep 0.05; done
  s0=$(cpu $SPID)
  OUT=$( { TIMEFORMAT="wrkcpu %U %S"; time wrk -t2 -c32 -d"${SECONDS_}"s -s bench/http_launch.lua \
           "http://127.0.0.1:$PORT/api/v1/jobs"; } 2>&1)
  s1=$(cpu $SPID)
  kill $SPID; wait $SPID 2>/dev/null || true
  awk -v mode="$mode" -v s="$((s1 - s0))" -v hz="$HZ" '
    /requests in/ {n = $1} /Requests\/sec/ {rate = $2} /wrkcpu/ {w = $2 + $3}
    END {printf "  %-16s %9.0f req/s  server %5.1f us/req  wrk %5.1f us/req\n",
         mode, rate, s / hz * 1e6 / n, w * 1e6 / n}' <<<"$OUT"
done
