#!/usr/bin/env bash
# `make run`: until berthd exists (issue 4), start a private redis-server on a unix socket
# under ./data/run and run the engine demo against it (DEMO jobs: one succeeds, one is
# stopped). The Redis is stopped when the demo ends.
set -euo pipefail
BUILD=${1:-build/release}
DIR="$(pwd)/data/run"
mkdir -p "$DIR"
chmod 700 "$DIR"
SOCK="$DIR/redis.sock"
redis-server --port 0 --unixsocket "$SOCK" --unixsocketperm 700 --dir "$DIR" \
  --save "" --appendonly yes --appendfsync everysec --daemonize no --logfile "$DIR/redis.log" &
RPID=$!
trap 'kill $RPID 2>/dev/null; wait $RPID 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
BERTH_REDIS_SOCK="$SOCK" "$BUILD/berth_demo"
