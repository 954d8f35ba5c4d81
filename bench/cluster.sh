#!/usr/bin/env bash
# `make bench-cluster`, or bench/cluster.sh [BUILD]: the aggregate drain of 3 namespaces on
# the 3 masters of a Redis Cluster (3 masters + 3 replicas on loopback) against 1 namespace
# on 1 Redis, the same number of jobs in both (bench/bench_cluster.c). BENCH_CLUSTER_JOBS:
# jobs per namespace (default 30000); BENCH_WORKERS: workers per engine (default 4).
# Every process shares this machine's cores: on fewer cores than Redis servers plus engines
# the cluster cannot show its scaling, only its overhead (docs/benchmarks.md).
set -euo pipefail
BUILD=${1:-build/release}
echo "machine: $(nproc) cores; redis: $(redis-server --version | awk '{print $3}')"
"$BUILD/bench_cluster" "${BENCH_CLUSTER_JOBS:-30000}" "${BENCH_WORKERS:-4}"
