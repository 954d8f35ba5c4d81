#!/usr/bin/env python3
"""HELLO, the command job of the sample config.yml (docs/own-jobs.md).

    berth submit HELLO -p who=world
    berth get <id> --watch        # the three check-ins, then Success
    berth log <id>                # what it printed

berthd runs it with the job's parameters as JSON on stdin; what it prints goes to the
job's log; check-ins go to descriptor 3, one JSON object per line."""
import json
import os
import sys
import time

params = json.load(sys.stdin)
who = params.get("who", "world")
control = os.fdopen(int(os.environ["BERTH_CONTROL_FD"]), "w", buffering=1)

print(f"hello, {who}! (job {os.environ['BERTH_JOB_ID']})", flush=True)
for step in range(1, 4):
    time.sleep(1)
    control.write(json.dumps({"checkin": f"step {step} of 3"}) + "\n")
    print(f"step {step} of 3 done", flush=True)
if who == "fail":
    control.write(json.dumps({"fail": "asked to fail"}) + "\n")
