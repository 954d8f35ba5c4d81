/* Shared by the period module's files: the periodic part's state (the enqueuer and its
 * policy cache). The engine owns the part and drives it through engine/periodic.h, the one
 * engine header src/period/ includes.
 * Lock rule: mu guards wake and running (with cv); the policy cache and next_trim belong
 * to the enqueuer thread; e and cfg are fixed from period_new. */
#ifndef BERTH_PERIOD_INTERNAL_H
#define BERTH_PERIOD_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "berth/berth.h"
#include "berth/period.h"
#include "engine/periodic.h"
#include "period/cron.h"
#include "store/redis.h"
#include "util/clock.h"

typedef struct policy {
    char id[25];
    char *name;
    char *cron;
    char *params;          /* the parameters as Go's json.Marshal writes them, or NULL */
    char *hook;            /* or NULL */
    long long numeric;     /* score in {ns}:period:policies (Harbor's numeric policy id) */
    cron_schedule sched;
} policy;

struct period {
    berth_engine *e;
    berth_periodic_config cfg;   /* defaults applied */
    pthread_t thread;
    pthread_mutex_t mu;    /* guards wake, running (with cv) */
    pthread_cond_t cv;
    bool wake, running;
    bool started;          /* the thread runs and is not joined yet: start and stop only */
    /* enqueuer thread only: */
    policy *policies;
    size_t npolicies;
    long long version;     /* {ns}:berth:period:version the cache was loaded at; -1 none */
    long long count, top;  /* ZCARD and highest score of the policies at that load: a
                            * policy Harbor adds or removes (no version bump) changes them */
    int64_t next_trim;
};

/* One policy JSON (Harbor's shape) into pol: 0, BERTH_EINVAL for a malformed or invalid
 * one, BERTH_ENOMEM (pol is untouched on error). A parsed pol is freed with
 * period_policy_clear. */
int period_policy_parse(const char *text, policy *pol);
void period_policy_clear(policy *pol);

/* What the engine calls (period_new ... period_unschedule) is declared in engine/periodic.h. */

void period_wake(period *p);
/* Plans fire times for one policy given its last planned fire `last` and `now`, by cfg's
 * misfire settings. Writes at most max times into out (ascending) and the marker to
 * advance to; returns the count. */
int period_plan(const berth_periodic_config *cfg, const policy *pol, int64_t last,
                int64_t now, int64_t *out, int max, int64_t *advance_to);

#endif
