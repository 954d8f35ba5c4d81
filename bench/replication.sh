#!/usr/bin/env bash
# REPLICATION against `skopeo copy` (`make bench-replication`, or bench/replication.sh [BUILD]).
# Three private docker-registry instances on loopback (source, one destination per tool), an
# OCI image of several incompressible layers pushed to the source through the Registry API,
# then the same copy by berthd's REPLICATION (launched over its API, timed until Success) and
# by skopeo, for each size in BENCH_REPL_SIZES (MiB, default "50 200 500"). Prints MB/s
# (10^6 bytes) and peak RSS: berthd's VmHWM (a fresh berthd per size, so the peak is that
# copy's) and skopeo's max RSS (getrusage of the child). Figures: docs/benchmarks.md.
set -euo pipefail
BUILD=${1:-build/release}
SIZES=${BENCH_REPL_SIZES:-"50 200 500"}
LAYERS=${BENCH_REPL_LAYERS:-4}
PY=/usr/bin/python3                     # Debian's, whatever else is on PATH
DIR=$(mktemp -d /tmp/berth-bench-repl-XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT

free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_registry() {   # name → echo port
  local name=$1 port; port=$(free_port)
  cat > "$DIR/$name.yml" <<CFG
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $DIR/$name
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
CFG
  docker-registry serve "$DIR/$name.yml" > "$DIR/$name.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.05; done
  echo "$port"
}

# An OCI image of $2 MiB in $LAYERS layers pushed as bench/img$2:latest to port $1.
push_image() {
  local port=$1 mib=$2
  $PY - "$port" "$mib" "$LAYERS" "$DIR" <<'PY'
import hashlib, json, os, subprocess, sys
port, mib, layers, d = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
base = f"http://127.0.0.1:{port}/v2/bench/img{mib}"
def push(path, digest):
    loc = subprocess.run(["curl", "-sf", "-D-", "-o/dev/null", "-XPOST", base + "/blobs/uploads/"],
                         check=True, capture_output=True, text=True).stdout
    loc = [l.split(":", 1)[1].strip() for l in loc.splitlines() if l.lower().startswith("location:")][0]
    sep = "&" if "?" in loc else "?"
    subprocess.run(["curl", "-sf", "-XPUT", "-H", "Content-Type: application/octet-stream",
                    "--data-binary", "@" + path, f"{loc}{sep}digest={digest}"], check=True,
                   capture_output=True)
descs = []
per = mib * 1048576 // layers
for i in range(layers):
    path, h = os.path.join(d, f"layer-{mib}-{i}"), hashlib.sha256()
    with open(path, "wb") as f:
        left = per
        while left:
            b = os.urandom(min(left, 1 << 20)); h.update(b); f.write(b); left -= len(b)
    dg = "sha256:" + h.hexdigest()
    push(path, dg); os.unlink(path)
    descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "size": per, "digest": dg})
cfg = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers",
                  "diff_ids": [x["digest"] for x in descs]}}).encode()
cp = os.path.join(d, "cfg"); open(cp, "wb").write(cfg)
cd = "sha256:" + hashlib.sha256(cfg).hexdigest(); push(cp, cd)
m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": len(cfg),
                           "digest": cd}, "layers": descs}).encode()
subprocess.run(["curl", "-sf", "-XPUT", "-H", "Content-Type: application/vnd.oci.image.manifest.v1+json",
                "--data-binary", "@-", base + "/manifests/latest"], input=m, check=True)
PY
}

# Starts berthd (embedded Redis) → BPORT, BPID.
start_berthd() {
  local d="$DIR/berthd-$1"; mkdir -p "$d"; BPORT=$(free_port)
  cat > "$d/cfg.yml" <<CFG
protocol: http
port: $BPORT
worker_pool:
  workers: 2
  backend: redis
  redis_pool:
    namespace: bench
job_loggers:
  - name: FILE
    level: INFO
    settings:
      base_dir: $d/jobs
loggers:
  - name: STD_OUTPUT
    level: WARNING
berth:
  listen_address: 127.0.0.1
  data_dir: $d/data
CFG
  CORE_SECRET=bench "$BUILD/berthd" -c "$d/cfg.yml" > "$d/berthd.log" 2>&1 &
  BPID=$!
  for _ in $(seq 200); do curl -sf "http://127.0.0.1:$BPORT/healthz" >/dev/null && break; sleep 0.05; done
}

resource() {   # port repo
  printf '{"type":"image","metadata":{"repository":{"name":"%s"},"artifacts":[{"tags":["latest"]}]},"registry":{"type":"docker-registry","url":"http://127.0.0.1:%s","credential":{"access_key":"","access_secret":""},"insecure":true},"override":true}' "$2" "$1"
}

hwm_kib() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "docker-registry: $(docker-registry --version | awk '{print $3}'), skopeo: $(skopeo --version | awk '{print $3}')"
SRC=$(start_registry src); DB=$(start_registry dst-berth); DS=$(start_registry dst-skopeo)
printf '%-8s %-12s %10s %10s %14s\n' size tool seconds MB/s "peak RSS MiB"
for mib in $SIZES; do
  push_image "$SRC" "$mib"
  bytes=$(( mib * 1048576 ))
  start_berthd "$mib"
  base=$(hwm_kib "$BPID")
  body=$($PY -c 'import json,sys; print(json.dumps({"job":{"name":"REPLICATION","parameters":{"src_resource":sys.argv[1],"dst_resource":sys.argv[2],"speed":0,"copy_by_chunk":False},"metadata":{"kind":"Generic"}}}))' \
         "$(resource "$SRC" "bench/img$mib")" "$(resource "$DB" "bench/img$mib")")
  t0=$(date +%s%N)
  id=$(curl -sf -H "Authorization: Harbor-Secret bench" -d "$body" "http://127.0.0.1:$BPORT/api/v1/jobs" | $PY -c 'import json,sys; print(json.load(sys.stdin)["job"]["id"])')
  while :; do
    st=$(curl -sf -H "Authorization: Harbor-Secret bench" "http://127.0.0.1:$BPORT/api/v1/jobs/$id" | $PY -c 'import json,sys; print(json.load(sys.stdin)["job"]["status"])')
    [ "$st" = Success ] && break
    [ "$st" = Error ] && { echo "REPLICATION failed"; cat "$DIR/berthd-$mib/jobs/$id.log"; exit 1; }
    sleep 0.02
  done
  t1=$(date +%s%N)
  peak=$(hwm_kib "$BPID")
  kill "$BPID"; wait "$BPID" 2>/dev/null || true
  $PY -c 'import sys; b,t,p,base=map(int,sys.argv[1:]); s=t/1e9; print("%-8s %-12s %10.2f %10.1f %14.1f" % (sys.argv[1] and "%dMiB"%(b>>20), "REPLICATION", s, b/s/1e6, p/1024) + "   (berthd at rest: %.1f MiB)" % (base/1024))' \
      "$bytes" "$((t1 - t0))" "$peak" "$base"
  mkdir -p "$DIR/home"
  HOME="$DIR/home" $PY - "$bytes" skopeo copy --src-tls-verify=false --dest-tls-verify=false \
      "docker://127.0.0.1:$SRC/bench/img$mib:latest" "docker://127.0.0.1:$DS/bench/img$mib:latest" <<'PY'
import resource, subprocess, sys, time
b = int(sys.argv[1]); t = time.time()
subprocess.run(sys.argv[2:], check=True, stdout=subprocess.DEVNULL)
s = time.time() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print("%-8s %-12s %10.2f %10.1f %14.1f" % ("%dMiB" % (b >> 20), "skopeo copy", s, b / s / 1e6, rss / 1024))
PY
done
