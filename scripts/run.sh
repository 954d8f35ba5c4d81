#!/usr/bin/env bash
# `make run`: starts what Berth has so far. See README.md.
set -euo pipefail
BUILD=${1:-build/release}
if [ -x "$BUILD/berth_demo" ]; then
  exec "$BUILD/berth_demo"
fi
echo "berth: built in $BUILD; the daemon is not built yet (see docs/)."
