#!/usr/bin/env bash
# The HTTP part of `make bench` (scripts/bench.sh): berthd on a private redis-server without
# persistence, wrk posting Generic launches for ${HTTP_BENCH_SECONDS:-10} s on 32 keep-alive
# connections (the queue is paused so only launching is measured), then one launch at a time
# at a light, paced rate for the latency of one launch (bench/http_paced.c).
# What runs: redis-server, berthd (its HTTP threads: one per CPU, at most 4, or
# HTTP_BENCH_THREADS; its coalescer's sender; its fetcher, idle: a paused queue wakes no
# fetcher) and wrk, all on this machine's cores.
# The paced part prints p50, p90, p99, p99.9 and the maximum; HTTP_PACED_RATE and
# HTTP_PACED_COUNT change its pace and size, HTTP_PACED_DUMP=FILE keeps every latency.
# HTTP_BENCH_SERVER=libmicrohttpd runs berthd's other HTTP server (berth.http_server).
# The wrk part also prints berthd's and redis-server's CPU time per launch (/proc and
# INFO cpu over the run), which the machine's load disturbs far less than the rate.
set -euo pipefail
BUILD=${1:-build/release}
if ! command -v wrk >/dev/null; then
  echo "installing wrk for the HTTP benchmark"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get install -y -qq wrk >/dev/null
fi
DIR=$(mktemp -d /tmp/berth-bench-XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port 0 --unixsocket "$DIR/r.sock" --save "" --appendonly no --daemonize yes \
  --logfile "$DIR/r.log" --dir "$DIR" --pidfile "$DIR/r.pid"
for _ in $(seq 100); do [ -S "$DIR/r.sock" ] && break; sleep 0.05; done
cat > "$DIR/cfg.yml" <<CFG
protocol: http
port: $PORT
worker_pool:
  workers: 4
  backend: redis
  redis_pool:
    redis_url: unix://$DIR/r.sock
    namespace: bench
loggers:
  - name: STD_OUTPUT
    level: WARNING
berth:
  listen_address: 127.0.0.1
  http_threads: ${HTTP_BENCH_THREADS:-0}
  http_server: ${HTTP_BENCH_SERVER:-builtin}
CFG
redis-cli -s "$DIR/r.sock" set '{bench}:jobs:SCHEDULER:paused' 1 >/dev/null
CORE_SECRET=bench "$BUILD/berthd" -c "$DIR/cfg.yml" > "$DIR/berthd.log" 2>&1 &
BPID=$!
trap 'kill $BPID 2>/dev/null; redis-cli -s "$DIR/r.sock" shutdown nosave >/dev/null 2>&1; rm -rf "$DIR"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.05; done
echo "launches over HTTP (wrk, 2 threads, 32 connections, ${HTTP_BENCH_SECONDS:-10} s; berthd http_threads ${HTTP_BENCH_THREADS:-0} (0: one per CPU, at most 4), http_server ${HTTP_BENCH_SERVER:-builtin}, $(nproc) CPUs):"
# CPU seconds of a process (utime + stime from /proc, in clock ticks) and of redis-server
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
redis_cpu() { redis-cli -s "$DIR/r.sock" info cpu | awk -F: '/used_cpu_(sys|user):/ {s += $2} END {printf "%.6f", s}'; }
B0=$(cpu_ticks $BPID); R0=$(redis_cpu); Q0=$(redis-cli -s "$DIR/r.sock" llen '{bench}:jobs:SCHEDULER')
wrk -t2 -c32 -d"${HTTP_BENCH_SECONDS:-10}"s -s bench/http_launch.lua "http://127.0.0.1:$PORT/api/v1/jobs" | grep -E 'Requests/sec|Latency|requests in'
B1=$(cpu_ticks $BPID); R1=$(redis_cpu); Q1=$(redis-cli -s "$DIR/r.sock" llen '{bench}:jobs:SCHEDULER')
awk -v b="$((B1 - B0))" -v hz="$(getconf CLK_TCK)" -v r0="$R0" -v r1="$R1" -v n="$((Q1 - Q0))" \
  'BEGIN { if (n > 0) printf "CPU per launch: berthd %.1f us, redis-server %.1f us (%d launches)\n", b / hz / n * 1e6, (r1 - r0) / n * 1e6, n }'
echo "jobs queued: $(redis-cli -s "$DIR/r.sock" llen '{bench}:jobs:SCHEDULER')"
echo "latency of one launch at a light load (bench/http_paced.c, one keep-alive connection):"
"$BUILD/http_paced" "$PORT" bench "${HTTP_PACED_RATE:-200}" "${HTTP_PACED_COUNT:-2000}"
