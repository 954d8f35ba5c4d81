-- wrk script for scripts/bench.sh: one Generic launch per request, as Harbor core sends it.
wrk.method = "POST"
wrk.body = '{"job":{"name":"SCHEDULER","parameters":{"k":1},"metadata":{"kind":"Generic"}}}'
wrk.headers["Authorization"] = "Harbor-Secret bench"
wrk.headers["Content-Type"] = "application/json"
