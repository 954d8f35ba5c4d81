#!/usr/bin/env bash
# `make run`: start berthd on 127.0.0.1:8080 with the sample config.yml (embedded Redis
# under ./data) and a secret kept in ./data/secret, after printing how to use it.
set -euo pipefail
BUILD=${1:-build/release}
mkdir -p data
chmod 700 data
if [ ! -s data/secret ]; then
  (umask 077; head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' > data/secret)
fi
export CORE_SECRET="$(cat data/secret)"
cat <<MSG
berthd is starting on http://127.0.0.1:8080 (data and Redis AOF in ./data). Ctrl-C stops it
after the running jobs finish (up to 15 s); a second Ctrl-C hands them back to their queues.
The API secret is in ./data/secret. In another terminal:

  export BERTH_SECRET=\$(cat data/secret)
  $BUILD/berth submit DEMO -p image=demo:latest        # prints the job id
  $BUILD/berth get <id> --watch                        # status and check-ins, live
  $BUILD/berth stats
  $BUILD/berth submit HELLO -p who=world               # your own job: examples/jobs/hello.py,
                                                       # declared in config.yml (docs/own-jobs.md)

  curl -s -H "Authorization: Harbor-Secret \$(cat data/secret)" -d \\
    '{"job":{"name":"DEMO","parameters":{"image":"demo:latest"},"metadata":{"kind":"Generic"}}}' \\
    http://127.0.0.1:8080/api/v1/jobs

MSG
exec "$BUILD/berthd" -c config.yml
