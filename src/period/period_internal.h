/* Shared by the period module's files: the enqueuer state and its policy cache. The
 * engine is reached only through engine/periodic.h. */
#ifndef BERTH_PERIOD_INTERNAL_H
#define BERTH_PERIOD_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "berth/period.h"
#include "engine/periodic.h"
#include "period/cron.h"
#include "store/redis.h"

typedef struct policy {
    char id[25];
    char *name;
    char *cron;
    char *params;          /* compact JSON object text or NULL */
    char *hook;            /* or NULL */
    cron_schedule sched;
} policy;

struct berth_period {
    berth_engine *e;
    berth_period_config cfg;
    pthread_t thread;
    pthread_mutex_t mu;    /* guards wake, running (with cv) */
    pthread_cond_t cv;
    bool wake, running, started;
    /* enqueuer thread only: */
    policy *policies;
    size_t npolicies;
    long long version;     /* {ns}:berth:period:version the cache was loaded at; -1 none */
    int64_t next_trim;
};

/* One policy JSON (Harbor's shape) into pol; false for a malformed or invalid one (pol is
 * then untouched). A parsed pol is freed with period_policy_clear. */
bool period_policy_parse(const char *text, policy *pol);
void period_policy_clear(policy *pol);

/* The engine's periodic seam (engine/periodic.h): launch stores a policy, unschedule
 * removes one (policy.c). */
int period_launch(void *self, const berth_launch *l, berth_stats **out, char *err,
                  size_t errlen);
int period_unschedule(void *self, const char *id);

void *period_main(void *p);
void period_wake(berth_period *p);
/* Plans fire times for one policy given its last planned fire `last` and `now`. Writes
 * at most max times into out (ascending) and the marker to advance to; returns the count. */
int period_plan(const berth_period *p, const policy *pol, int64_t last, int64_t now,
                int64_t *out, int max, int64_t *advance_to);

#endif
