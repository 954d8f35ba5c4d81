/* Helpers for engine tests: an engine on the fixture's Redis, and waiting for a status. */
#ifndef BERTH_TEST_ENGINE_FIXTURE_H
#define BERTH_TEST_ENGINE_FIXTURE_H

#include "berth/berth.h"
#include "redis_fixture.h"

/* Config pointing at rf's unix socket, namespace "t", fast leases and back-off. */
berth_engine_config engine_fixture_config(redis_fixture *rf);
/* Waits (wait_until) until the job's status equals want, up to timeout_ms.
 * Returns 1 when reached. */
int engine_fixture_wait_status(berth_engine *e, const char *id, const char *want, int timeout_ms);
/* Current status string into out ("" if none). */
void engine_fixture_status(berth_engine *e, const char *id, char *out, size_t outlen);
/* Launches a Generic job of type name without parameters (asserts it was accepted) and
 * returns its id; the caller frees it with free. */
char *engine_fixture_launch(berth_engine *e, const char *name);

#endif
