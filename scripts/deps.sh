#!/usr/bin/env bash
# Installs every Debian 12 package Berth needs to build, test and run. Idempotent: it only
# calls apt-get when a package is missing. Needs root (or sudo) the first time.
set -euo pipefail

PKGS=(build-essential cmake ninja-build pkg-config
      libhiredis-dev libjansson-dev libyaml-dev libmicrohttpd-dev libgnutls28-dev
      libcurl4-openssl-dev libcmocka-dev redis-server redis-tools curl python3 openssl
      clang libclang-rt-14-dev    # clang + libFuzzer runtime: make fuzz
      libssl-dev                  # SHA-256 of blobs and manifests (src/registry)
      lua5.1                      # luac5.1: tests/checks/check_lua_globals.sh
      # REPLICATION's tests and benchmark: real registries, htpasswd, the test token
      # server (Debian's /usr/bin/python3 with jwt + cryptography), skopeo for bench/
      docker-registry apache2-utils python3-jwt python3-cryptography skopeo
      # Harbor's database jobs (src/db, tests/db): libpq, and a real PostgreSQL 15 that the
      # tests start themselves (tests/support/pg_fixture.c), never the system cluster
      libpq-dev postgresql-15
      dpkg-dev systemd groff-base adduser    # make deb and the package tests: dpkg-shlibdeps,
                                             # systemd-analyze verify, man page lint, postinst
      chromium chromium-driver python3-selenium)   # the dashboard's browser tests

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# A fresh CI machine is where apt is least dependable: a mirror answering 5xx or a hash
# mismatch while it syncs (apt-get update exits 0 on some of those and the install then
# fails), and the dpkg lock held by a boot-time apt job. Each download is retried by apt
# itself, the lock is waited for, and the whole update + install is tried three times,
# 15 and 30 s apart, before the run fails (a real absence still fails, on the last try).
APT=($SUDO apt-get -o Acquire::Retries=3 -o DPkg::Lock::Timeout=300)
for try in 1 2 3; do
  if "${APT[@]}" update -qq &&
     "${APT[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    break
  fi
  [ "$try" -eq 3 ] && { echo "deps: apt-get failed 3 times" >&2; exit 1; }
  echo "deps: apt-get failed (try $try of 3); again in $((15 * try)) s" >&2
  sleep $((15 * try))
done
# The Debian package starts a system redis-server on 6379; Berth never uses it (tests and
# the embedded mode start their own), so leave it to the operator. The same holds for the
# docker-registry package's service on port 5000: the tests start their own registries, and
# for postgresql-15's cluster on 5432: the tests run initdb in a temp dir as an unprivileged user.
