/* The engine handle, included only by the engine's sources (src/period/ sees only what
 * engine/periodic.h lends it).
 *
 * A job from launch to its final status, and the file of each step:
 *  1. Launch: enqueue.c validates the request and runs enqueue.lua (launcher.c: from a
 *     host's event loop, on its thread), which writes the stats
 *     hash, takes the unique lock and queues the job JSON (the list jobs:<name>, or the
 *     scheduled zset for a delay) in one script. A Periodic launch stores a policy instead
 *     (period/policy.c), whose executions period/period.c fires into the scheduled zset.
 *  2. Due: promoter.c moves due scheduled entries and retries to their queues
 *     (schedule.lua). Enqueues publish on the wake channel when a node is idle.
 *  3. Wake: the fetcher, asleep in its waker (waker.h), is subscribed to the wake channel.
 *  4. Fetch: fetcher.c runs fetch.lua, which takes up to the free workers' worth of jobs
 *     (more for short jobs: prefetch) with a lease, leaving their status Pending, and
 *     reports each job's unique flag; the fetcher records the leases (leases.h) and hands
 *     the runs (run.h) to the workers through the ready queue (fifo.h); runs no worker
 *     takes for a while go back to their queues.
 *  5. Run: worker.c takes a run into its slot (slots.h), has the completer mark it Running
 *     and free its unique lock, builds the job's context (context.c: job log, stop flag,
 *     check-ins, tracker) and calls the type's run function.
 *  6. Lease: meanwhile heartbeat.c renews the leases; a node that dies stops renewing and
 *     any node requeues its runs (requeue.lua). A stop (control.c, stop.lua) publishes on
 *     the control channel and subscriber.c raises the running job's stop flag.
 *  7. Finish: the worker hands an OUTCOME_FINISHED (outcome.h) to the completer, which writes
 *     a batch with finish.lua: Success, or Error with a retry entry (back to step 2), and
 *     frees the lease. Every status change queues a hook event in the same script, which
 *     hook/dispatcher.c delivers.
 *  8. Shutdown: start_stop.c stops the periodic enqueuer and fetching, waits for the runs
 *     up to the grace period and hands the rest back (heartbeat_hand_back, requeue.lua).
 *
 * The handle holds its parts by value, each with one owner and its own lock (the rule is at
 * the top of each part's header): the worker pool (slots.h), the runs this node holds
 * (leases.h), the API connection pool (store/pool.h), the status-retry list
 * (status_retry.h), the fetcher's waker (waker.h), the two queues (fifo.h), the memory
 * reading (memguard.h) and the launch coalescer (coalesce.h); it owns its periodic part
 * (periodic.h) by pointer. The fields
 * below the parts are set before the threads start and read-only after, or atomic, or say
 * their rule. docs/design-notes.md draws the map. */
#ifndef BERTH_ENGINE_INTERNAL_H
#define BERTH_ENGINE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "berth/berth.h"
#include "berth/metrics.h"
#include "berth/tracker.h"
#include "engine/coalesce.h"
#include "engine/fifo.h"
#include "engine/leases.h"
#include "engine/memguard.h"
#include "engine/outcome.h"
#include "engine/periodic.h"
#include "engine/run.h"
#include "engine/slots.h"
#include "engine/status_retry.h"
#include "engine/waker.h"
#include "store/pool.h"
#include "store/redis.h"
#include "store/subscribe.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"

struct berth_engine {
    berth_engine_config cfg;     /* copy; strings below own their text */
    char *ns;                    /* namespace without braces */
    char *prefix;                /* "{ns}:" */
    char pool_id[25];
    rtarget target;
    rhealth health;              /* of target: says once that Redis is away, then back */
    berth_logger log;

    jtype *types;                /* registry; fixed after start */
    struct engine_metrics *metrics; /* one per type, from start (run_metrics.c) */
    size_t ntypes;

    /* the parts */
    fifo ready;                  /* runs: fetcher → workers */
    fifo done;                   /* outcomes (outcome.h): workers, fetcher, check-ins → completer */
    slots workers;               /* the worker pool */
    leases held;                 /* runs whose lease this node holds (fetched, unfinished) */
    waker wake;                  /* wakes the fetcher */
    status_retry retry;          /* status changes waiting for Redis to come back */
    rpool pool;                  /* API callers' connections (store/pool.h) */
    memguard_cache memguard;     /* the last Redis memory reading */
    coalescer launches;          /* single launches sharing script calls (coalesce.h) */
    period *periodic;            /* the periodic part (periodic.h); NULL unless enabled */

    atomic_uint_fast64_t run_us_ewma; /* recent run time, decides prefetching */
    atomic_int_fast64_t ready_moved_ms; /* monotonic ms: a worker last took a run, or the
                                         * fetcher fed an empty ready: stall detection */

    pthread_mutex_t tick_mu;     /* timed waits of heartbeat and promoter; shutdown wakes */
    pthread_cond_t tick_cv;
    pthread_mutex_t stop_mu;     /* berth_ctx_sleep waits here; raising a stop flag wakes */
    pthread_cond_t stop_cv;
    char sweep_cursor[32];       /* heartbeat thread only: HSCAN cursor of the sweep pass */
    int64_t sweep_next_ms;       /* heartbeat thread only: when the next pass may start */

    atomic_bool running;         /* threads started and not told to stop */
    atomic_bool fetching;        /* fetcher may take new jobs */
    atomic_bool system_done;     /* jobs' system context cancelled */
    atomic_bool started;
    atomic_bool hurry;           /* berth_engine_hurry: stop hands running jobs back now */
    atomic_bool harbor_nodes;    /* a Harbor pool beats in the namespace: launches write
                                    their status (harbor_nodes.c) */
    bool stuck;                  /* stop gave up on a job that ignored stop: never free */
    bool curl_inited;            /* curl_global_init succeeded: cleanup at free */

    pthread_t fetcher, completer, subscriber, heartbeat, promoter;
    unsigned threads;            /* ENGINE_T_* bits of those started and not joined: start
                                    and stop only (a failed start stops what it started) */
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

enum {   /* berth_engine.threads */
    ENGINE_T_COMPLETER = 1, ENGINE_T_SUBSCRIBER = 2, ENGINE_T_HEARTBEAT = 4,
    ENGINE_T_PROMOTER = 8, ENGINE_T_FETCHER = 16,
};

void outcome_free_node(fnode *n);

/* Waits up to ms on tick_cv unless the engine is stopping. */
void engine_tick_wait(berth_engine *e, int ms);
void engine_tick_wait_us(berth_engine *e, int64_t us);   /* the same, to the microsecond */
/* wakeups.c: raise a slot's stop flag (or, with s NULL, system_done and every slot's) and
 * wake the jobs sleeping in berth_ctx_sleep so they see it at once. */
void engine_raise_stop(berth_engine *e, slot *s);
void engine_tick_wake(berth_engine *e);  /* tick_cv is clock_cond_init's (util/clock.h) */

/* engine_conn_take/put (borrow an API connection from the pool) are declared in
 * periodic.h, which lends them to period/; time comes from util/clock.h.
 * engine_conn_get is engine_conn_take without the reason: NULL when none. */
rconn *engine_conn_get(berth_engine *e);

/* schema.c: check (and on a fresh namespace write) {ns}:berth:schema. */
int engine_schema_check(berth_engine *e);

const jtype *engine_type(const berth_engine *e, const char *name);
/* fetcher.c: a worker picked up a unique run: free its lock (through the completer). */
void engine_release_unique(berth_engine *e, const run *r);
void engine_wake_fetcher(berth_engine *e);
/* The launch coalescer of e, with its idle work and its lone-launch start (enqueue.c). */
void engine_launches_init(berth_engine *e);

/* control.c: HGETALL a job's stats on rc. BERTH_ENOTFOUND when absent. */
int engine_load_stats(berth_engine *e, rconn *rc, const char *id, berth_stats **out);

/* tracker_status.c: retry persisted status changes (heartbeat). */
void engine_retry_status(berth_engine *e, rconn *rc);
/* Sets e->harbor_nodes from {ns}:worker_pools (harbor_nodes.c); heartbeat thread. */
void harbor_nodes_check(berth_engine *e, rconn *rc);

/* Most outcomes in one finish.lua call (a run that started and ended within the batch is
 * two: at most half as many runs). The largest fetch batch's size in runs: a busy drain
 * fills it (Redis's own run time batches the finished runs), and each call has a fixed
 * part of about 140k of Redis's instructions (docs/design-notes.md, "Drain cost per job,
 * round three"), while a lone outcome is still sent at once. */
#define COMPLETER_BATCH_MAX 1024

void *fetcher_main(void *e);
void *worker_main(void *slot);
void *completer_main(void *e);
void *subscriber_main(void *e);
void *heartbeat_main(void *e);
void *promoter_main(void *e);

/* run_metrics.c: run counters per type (berth/metrics.h), allocated at start. */
typedef struct engine_metrics engine_metrics;
int engine_metrics_init(berth_engine *e);   /* 0 or BERTH_ENOMEM */
void engine_metrics_free(berth_engine *e);
void engine_metrics_note(berth_engine *e, const jtype *t, berth_run_outcome o, int64_t us);

/* heartbeat.c: when a lease taken or renewed now ends. Leases are renewed every fifth
 * of lease_ms and end three fifths after the renewal, and every node reaps every fifth,
 * so a dead node's run is requeued at most four fifths of lease_ms after the death while
 * a live node may renew two fifths late without losing its runs. */
int64_t heartbeat_lease_deadline_ms(const berth_engine *e);
/* heartbeat.c: may run r start now? Yes at once when it was fetched less than two fifths
 * of lease_ms ago (its fetch's deadline has not passed, so no node can have reaped it).
 * Else — the node was frozen or swamped while the run waited — only if its batch's lease
 * is still in Redis, which this renews (one ZADD XX CH, on a pooled connection): a reaped
 * batch's job is queued again or already ran elsewhere, and a run started now would run
 * a second time, after the fact. False also when Redis cannot say. */
bool heartbeat_lease_confirm(berth_engine *e, const run *r);
/* heartbeat.c: the pool's first heartbeat, at start before any thread runs (so a node
 * whose start returned is in {ns}:worker_pools: a host that answers once the engine has
 * started, such as berthd's /healthz, answers only as a registered pool). 0, BERTH_EREDIS
 * or BERTH_ENOMEM. */
int heartbeat_register(berth_engine *e);
/* heartbeat.c: give back this node's unfinished runs now (shutdown). */
void heartbeat_hand_back(berth_engine *e);
/* fetcher.c: draws the priority-weighted type order into out (ntypes entries). */
void fetcher_type_order(const berth_engine *e, const jtype **out);

#endif
