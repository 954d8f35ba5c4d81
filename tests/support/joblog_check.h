/* Checks on REDIS job logs shared by the job-log tests: a job's key read from the
 * fixture's Redis (namespace "t", as engine_fixture_config sets), a poll for a line in it,
 * and the assertion that a run's numbered lines are there once each, in order. */
#ifndef BERTH_TEST_JOBLOG_CHECK_H
#define BERTH_TEST_JOBLOG_CHECK_H

#include <stdbool.h>

#include "redis_fixture.h"

/* Occurrences of needle in hay. */
int jl_count(const char *hay, const char *needle);
/* The job's key {t}:berth:joblog:<id> as text ("" when missing or not a string); the
 * caller frees it. */
char *jl_key_text(redis_fixture *rf, const char *id);

/* For wait_until: the job's key holds needle. */
typedef struct jl_key_has {
    redis_fixture *rf;
    const char *id, *needle;
} jl_key_has;
bool jl_key_holds(void *arg);

/* log holds "]: <prefix> 1\n" .. "]: <prefix> last\n" once each and in that order, and
 * one run header; fails the test (naming what) otherwise. */
void jl_assert_lines(const char *log, const char *prefix, int last);

#endif
