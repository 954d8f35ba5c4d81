/* The engine handle and what its threads share. Included only by the engine sources.
 *
 * Threads (ARCHITECTURE §4): fetcher, workers, completer, subscriber, heartbeat,
 * scheduler. Each owns its Redis connection; API callers borrow one from the pool.
 * They talk through two locked queues: ready jobs (fetcher → workers) and results
 * (workers → completer). Locking rules are written next to each field. */
#ifndef BERTH_ENGINE_INTERNAL_H
#define BERTH_ENGINE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "berth/berth.h"
#include "berth/metrics.h"
#include "berth/tracker.h"
#include "engine/fifo.h"
#include "engine/outcome.h"
#include "store/pool.h"
#include "store/redis.h"
#include "store/subscribe.h"
#include "util/buf.h"
#include "util/log.h"

typedef struct jtype {
    berth_job_type t;        /* copy; t.name points at name */
    char *name;
} jtype;

/* One fetched job, from the fetch script through a worker to the completer. */
typedef struct run {
    fnode node;              /* in engine->ready */
    char code;               /* fetch code: 'R' run, others skipped */
    bool unique;             /* the job was launched unique (fetch.lua read its JSON) */
    char *id;                /* effective job id */
    char *name;
    int64_t revision;
    char *raw;               /* job JSON as queued */
    const jtype *type;       /* NULL for an unknown name */
    int rc;                  /* run result, 0 = success */
    buf errmsg;              /* berth_ctx_fail text */
    atomic_bool handed_back; /* requeued at shutdown: drop its outcome (set under own_mu, read anywhere) */
    int64_t started_ms;      /* when a worker began running it */
    struct run *own_prev, *own_next; /* in engine->owned while this node holds its lease */
} run;

/* A worker's current run, readable by the subscriber (stop) and heartbeat (leases). */
typedef struct slot {
    run *cur;                /* guarded by engine->slots_mu */
    atomic_bool stop;        /* raised by a stop command or shutdown */
    pthread_t thread;
    struct berth_engine *e;
    rconn rc;                /* tracker calls from job code (lazily connected) */
} slot;

struct berth_engine {
    berth_engine_config cfg;     /* copy; strings below own their text */
    char *ns;                    /* namespace without braces */
    char *prefix;                /* "{ns}:" */
    char pool_id[25];
    rtarget target;
    rhealth health;              /* of target: says once that Redis is away, then back */
    berth_logger log;

    jtype *types;                /* registry; fixed after start */
    struct engine_metrics *metrics; /* one per type, from start (metrics.c) */
    size_t ntypes;

    fifo ready;                  /* runs: fetcher → workers */
    fifo done;                   /* outcomes (outcome.h): workers, fetcher, check-ins → completer */

    pthread_mutex_t slots_mu;    /* guards slot.cur of every slot, idle_workers */
    pthread_cond_t slots_cv;     /* signalled when a worker becomes idle */
    slot *slots;
    unsigned nslots;
    unsigned idle_workers;       /* workers not running a job and not assigned one */

    pthread_mutex_t wake_mu;     /* guards wake_flag */
    pthread_cond_t wake_cv;
    bool wake_flag;              /* set by the subscriber (or enqueue) to wake the fetcher */

    pthread_mutex_t own_mu;      /* guards owned, nowned */
    run *owned;                  /* runs whose lease this node holds (fetched, unfinished) */
    size_t nowned;
    atomic_uint_fast64_t run_us_ewma; /* recent run time, decides prefetching */

    pthread_mutex_t tick_mu;     /* timed waits of heartbeat and scheduler; shutdown wakes */
    pthread_cond_t tick_cv;
    pthread_mutex_t stop_mu;     /* berth_ctx_sleep waits here; raising a stop flag wakes */
    pthread_cond_t stop_cv;
    char (*worker_ids)[25];      /* one gocraft-style worker id per slot */
    char sweep_cursor[32];       /* heartbeat thread only: HSCAN cursor of the sweep pass */
    int64_t sweep_next_ms;       /* heartbeat thread only: when the next pass may start */

    pthread_mutex_t retry_mu;    /* guards retry_mem */
    char **retry_mem;            /* status changes waiting for Redis to come back */
    size_t nretry_mem;

    rpool pool;                  /* API callers' connections (store/pool.h) */

    atomic_bool running;         /* threads started and not told to stop */
    atomic_bool fetching;        /* fetcher may take new jobs */
    atomic_bool system_done;     /* jobs' system context cancelled */
    atomic_bool started;
    atomic_bool hurry;           /* berth_engine_hurry: stop hands running jobs back now */
    bool stuck;                  /* stop gave up on a job that ignored stop: never free */

    pthread_t fetcher, completer, subscriber, heartbeat, scheduler;
    struct hook_dispatcher *hooks;   /* NULL when hooks_disabled */
    rsub *sub;                   /* subscriber's subscription, for rsub_interrupt */
    pthread_mutex_t sub_mu;      /* guards sub (the pointer; the subscriber owns it) */
    int64_t started_at;
};

struct berth_tracker {       /* include/berth/tracker.h */
    berth_engine *e;
    char *id;
    berth_stats *stats;          /* in-memory copy; never NULL */
};

run *run_new(void);
void run_free(run *r);
void run_free_node(fnode *n);    /* run_free for a run still in a fifo */
void outcome_free_node(fnode *n);

/* owned registry: runs this node holds a lease on */
void engine_own(berth_engine *e, run *r);
void engine_disown(berth_engine *e, run *r);

void engine_cond_init(pthread_cond_t *cv);
/* Waits up to ms on tick_cv unless the engine is stopping. */
void engine_tick_wait(berth_engine *e, int ms);
/* shared.c: raise a slot's stop flag (or, with s NULL, system_done and every slot's) and
 * wake the jobs sleeping in berth_ctx_sleep so they see it at once. */
void engine_raise_stop(berth_engine *e, slot *s);
void engine_tick_wake(berth_engine *e);  /* CLOCK_MONOTONIC, for engine_timespec_after */

/* time helpers */
int64_t engine_now(void);        /* unix seconds */
int64_t engine_now_ms(void);
void engine_timespec_after(struct timespec *ts, int ms);

/* pool: borrow a connection for an API call; give it back (or NULL-safe). */
rconn *engine_conn_get(berth_engine *e);
void engine_conn_put(berth_engine *e, rconn *rc);

/* schema.c: check (and on a fresh namespace write) {ns}:berth:schema. */
int engine_schema_check(berth_engine *e);

const jtype *engine_type(const berth_engine *e, const char *name);
void engine_wake_fetcher(berth_engine *e);
/* Retry delay after `fails` failures (gocraft: fails⁴ + 15 + rand(30)·(fails+1) s), scaled. */
double engine_backoff(const berth_engine *e, int fails);

/* control.c: HGETALL a job's stats on rc. BERTH_ENOTFOUND when absent. */
int engine_load_stats(berth_engine *e, rconn *rc, const char *id, berth_stats **out);

/* tracker_status.c: retry persisted status changes (heartbeat). */
void engine_retry_status(berth_engine *e, rconn *rc);

void *fetcher_main(void *e);
void *worker_main(void *slot);
void *completer_main(void *e);
void *subscriber_main(void *e);
void *heartbeat_main(void *e);
void *scheduler_main(void *e);

/* metrics.c: run counters per type (berth/metrics.h), allocated at start. */
typedef struct engine_metrics engine_metrics;
void engine_metrics_init(berth_engine *e);
void engine_metrics_free(berth_engine *e);
void engine_metrics_note(berth_engine *e, const jtype *t, berth_run_outcome o, int64_t us);

/* heartbeat.c: when a lease taken or renewed now ends. Leases are renewed every fifth
 * of lease_ms and end three fifths after the renewal, and every node reaps every fifth,
 * so a dead node's run is requeued at most four fifths of lease_ms after the death while
 * a live node may renew two fifths late without losing its runs. */
int64_t heartbeat_lease_deadline_ms(const berth_engine *e);
/* heartbeat.c: give back this node's unfinished runs now (shutdown). */
void heartbeat_hand_back(berth_engine *e);
/* fetcher.c: draws the priority-weighted type order into out (ntypes entries). */
void fetcher_type_order(const berth_engine *e, const jtype **out);

#endif
