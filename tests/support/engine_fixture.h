/* Helpers for engine tests: an engine on the fixture's Redis (made, its job types
 * registered, started: the start-up every engine test repeated), and waiting for a status.
 * Each helper asserts its steps with cmocka: call them on the test's thread. */
#ifndef BERTH_TEST_ENGINE_FIXTURE_H
#define BERTH_TEST_ENGINE_FIXTURE_H

#include "berth/berth.h"
#include "redis_fixture.h"

/* Config pointing at rf's unix socket, namespace "t", fast leases and back-off. */
berth_engine_config engine_fixture_config(redis_fixture *rf);
/* A job that does nothing and succeeds. */
int engine_fixture_noop(berth_ctx *ctx, const char *params, void *ud);
/* berth_engine_new on cfg with the job types of types registered (the list ends with an
 * entry without a name; NULL: none), each step asserted. Not started. */
berth_engine *engine_fixture_new(const berth_engine_config *cfg, const berth_job_type *types);
/* rf flushed, then an engine (not started) with hooks off (events stay in the outbox) and
 * one job type, NOOP (engine_fixture_noop). */
berth_engine *engine_fixture_noop_unstarted(redis_fixture *rf);
/* engine_fixture_new, then berth_engine_start asserted to succeed. */
berth_engine *engine_fixture_start(const berth_engine_config *cfg, const berth_job_type *types);
/* Waits (wait_until) until the job's status equals want, up to timeout_ms.
 * Returns 1 when reached. */
int engine_fixture_wait_status(berth_engine *e, const char *id, const char *want, int timeout_ms);
/* Current status string into out ("" if none). */
void engine_fixture_status(berth_engine *e, const char *id, char *out, size_t outlen);
/* Launches a Generic job of type name without parameters (asserts it was accepted) and
 * returns its id; the caller frees it with free. */
char *engine_fixture_launch(berth_engine *e, const char *name);
/* The launch body parsed as api_launch parses it (Go's -0, then the request parser),
 * asserted to succeed; the caller frees it with berth_request_free. */
struct berth_request *engine_fixture_parse_launch(const char *body);

#endif
