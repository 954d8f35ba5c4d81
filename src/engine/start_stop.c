/* Starting and stopping the engine's threads; see berth_engine_start/stop in berth.h.
 * Start makes the fetcher last, so that a thread that cannot be made stops the start
 * before any job was taken: the threads already running are then stopped as at shutdown.
 * Graceful stop follows issue 3 item 10: stop the periodic enqueuer and fetching, wait for
 * running jobs up to the grace period, raise stop flags, hand unfinished runs back to
 * their queues at once. */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/internal.h"
#include "hook/hook.h"
#include "model/id.h"
#include "util/alloc.h"

/* Publishes the registry where Harbor core and operators read it: known_jobs and each
 * type's max_concurrency (gocraft writes these at pool start). One pipelined round trip. */
static int announce_types(berth_engine *e)
{
    rconn *rc = NULL;
    int taken = engine_conn_take(e, &rc);   /* BERTH_EREDIS or BERTH_ENOMEM */
    if (taken)
        return taken;
    int err = 0;
    for (size_t i = 0; i < e->ntypes; i++) {
        rreply *r = rconn_cmd(rc, "SADD %sknown_jobs %s", e->prefix, e->types[i].name);
        err |= !rconn_ok(rc, r);
        rreply_free(r);
        r = rconn_cmd(rc, "SET %sjobs:%s:max_concurrency %u", e->prefix, e->types[i].name,
                      e->types[i].t.max_concurrency);
        err |= !rconn_ok(rc, r);
        rreply_free(r);
    }
    if (err)
        BLOG_ERROR(&e->log, "cannot register job types in redis: %s", rc->err);
    engine_conn_put(e, rc);
    return err ? BERTH_EREDIS : 0;
}

/* One worker thread per slot; if one cannot be made, the pool keeps those that run. */
static int start_workers(berth_engine *e)
{
    for (unsigned i = 0; i < e->workers.n; i++)
        if (pthread_create(&e->workers.v[i].thread, NULL, worker_main, &e->workers.v[i]) != 0) {
            slots_keep(&e->workers, i);
            return BERTH_ENOMEM;
        }
    return 0;
}

/* One of the engine's own threads (fn(e)), recorded in e->threads for stop. */
static int spawn(berth_engine *e, unsigned bit, pthread_t *t, void *(*fn)(void *))
{
    if (pthread_create(t, NULL, fn, e) != 0)
        return BERTH_ENOMEM;
    e->threads |= bit;
    return 0;
}

static int start_hooks(berth_engine *e)
{
    hook_opts ho = {.target = &e->target, .prefix = e->prefix, .pool_id = e->pool_id,
                    .retry_hours = e->cfg.hook_retry_hours,
                    .backoff_scale = e->cfg.hook_backoff_scale,
                    .lead_ttl_ms = e->cfg.hook_lead_ttl_ms, .log = e->log};
    return hook_dispatcher_start(&ho, &e->hooks);
}

static int start_threads(berth_engine *e)
{
    int rc = start_workers(e);
    if (rc == 0)
        rc = spawn(e, ENGINE_T_COMPLETER, &e->completer, completer_main);
    if (rc == 0)
        rc = spawn(e, ENGINE_T_SUBSCRIBER, &e->subscriber, subscriber_main);
    if (rc == 0)
        rc = spawn(e, ENGINE_T_HEARTBEAT, &e->heartbeat, heartbeat_main);
    if (rc == 0)
        rc = spawn(e, ENGINE_T_PROMOTER, &e->promoter, promoter_main);
    if (rc == 0 && !e->cfg.hooks_disabled)
        rc = start_hooks(e);
    if (rc == 0 && e->periodic)
        rc = period_start(e->periodic);
    if (rc == 0)   /* last: no job is taken unless every other thread runs */
        rc = spawn(e, ENGINE_T_FETCHER, &e->fetcher, fetcher_main);
    return rc;
}

int berth_engine_start(berth_engine *e)
{
    if (atomic_load(&e->started))
        return BERTH_ESTATE;
    int rc = engine_schema_check(e);
    if (rc == 0)
        rc = announce_types(e);
    if (rc == 0)
        rc = engine_metrics_init(e);
    if (rc == 0)
        rc = slots_alloc(&e->workers, e->cfg.workers, e, &e->target);
    e->started_at = clock_wall_s();
    if (rc == 0 && (rc = heartbeat_register(e)) != 0)
        slots_unalloc(&e->workers);
    if (rc != 0) {
        engine_metrics_free(e);   /* nothing started: a later start may try again */
        return rc;
    }
    atomic_store(&e->started, true);
    atomic_store(&e->running, true);
    atomic_store(&e->fetching, true);
    rc = start_threads(e);
    if (rc != 0) {
        BLOG_ERROR(&e->log, "engine %s: cannot make a thread; stopping the ones started",
                   e->pool_id);
        berth_engine_stop(e);
        return rc;
    }
    BLOG_INFO(&e->log, "engine %s started: %u workers, %zu job types, namespace %s%s",
              e->pool_id, e->workers.n, e->ntypes, e->ns,
              e->periodic ? ", periodic enqueuer" : "");
    return 0;
}

static void join(berth_engine *e, unsigned bit, pthread_t t)
{
    if (e->threads & bit)
        pthread_join(t, NULL);
    e->threads &= ~bit;
}

/* Waits until every worker is idle or the deadline passes (or, when hurryable, until
 * berth_engine_hurry). True if all are idle. */
static bool wait_idle(berth_engine *e, unsigned ms, bool hurryable)
{
    return slots_wait_idle(&e->workers, &e->ready, (int)ms, hurryable ? &e->hurry : NULL);
}

static void raise_stop_flags(berth_engine *e)
{
    engine_raise_stop(e, NULL);
}

static void wake_all(berth_engine *e)
{
    engine_wake_fetcher(e);
    fifo_close(&e->ready);
    slots_notify(&e->workers, NULL, NULL);
    pthread_mutex_lock(&e->sub_mu);
    rsub_interrupt(e->sub);
    pthread_mutex_unlock(&e->sub_mu);
}

static void set_hurry(void *e)
{
    atomic_store(&((berth_engine *)e)->hurry, true);
}

void berth_engine_hurry(berth_engine *e)
{
    slots_notify(&e->workers, set_hurry, e);   /* wait_idle checks the flag under the lock */
}

unsigned berth_engine_running_jobs(berth_engine *e)
{
    return slots_busy(&e->workers);
}

int berth_engine_stop(berth_engine *e)
{
    if (!atomic_load(&e->started) || !atomic_load(&e->running))
        return 0;
    period_stop(e->periodic);               /* no new executions while the rest stops */
    atomic_store(&e->fetching, false);
    engine_wake_fetcher(e);
    slots_notify(&e->workers, NULL, NULL);  /* the fetcher may wait for a free worker */
    join(e, ENGINE_T_FETCHER, e->fetcher);
    int result = 0;
    if (!wait_idle(e, e->cfg.grace_ms, true)) {
        BLOG_WARN(&e->log, "%s: stopping running jobs and handing them back",
                  atomic_load(&e->hurry) ? "asked to hurry" : "grace period over");
        /* Hand back first: it marks the runs handed back, so a job that returns the moment
         * it sees the stop cannot have its outcome written as if it had finished. */
        heartbeat_hand_back(e);
        raise_stop_flags(e);
        if (!wait_idle(e, e->cfg.grace_ms, false))
            result = BERTH_ESTATE;
    }
    atomic_store(&e->running, false);
    raise_stop_flags(e);
    wake_all(e);
    engine_tick_wake(e);
    for (unsigned i = 0; i < e->workers.n; i++) {
        if (result == 0)
            pthread_join(e->workers.v[i].thread, NULL);
        else
            pthread_detach(e->workers.v[i].thread);
    }
    fifo_close(&e->done);                   /* workers are done: the completer drains it */
    join(e, ENGINE_T_COMPLETER, e->completer);
    hook_dispatcher_stop(e->hooks);         /* unsettled events stay for the next leader */
    e->hooks = NULL;
    join(e, ENGINE_T_SUBSCRIBER, e->subscriber);
    join(e, ENGINE_T_HEARTBEAT, e->heartbeat);
    join(e, ENGINE_T_PROMOTER, e->promoter);
    e->stuck = result != 0;
    BLOG_INFO(&e->log, "engine %s stopped", e->pool_id);
    return result;
}

void berth_engine_free(berth_engine *e)
{
    if (!e)
        return;
    berth_engine_stop(e);
    coalesce_stop(&e->launches);   /* answers the asynchronous launches still queued */
    if (e->stuck)
        return;  /* a worker still runs job code that may touch e: leak rather than crash */
    period_free(e->periodic);
    slots_destroy(&e->workers);
    engine_metrics_free(e);
    fifo_destroy(&e->ready, run_free_node);
    fifo_destroy(&e->done, outcome_free_node);
    rpool_destroy(&e->pool);
    for (size_t i = 0; i < e->ntypes; i++)
        berth_free(e->types[i].name);
    berth_free(e->types);
    rtarget_free(&e->target);
    berth_free((char *)e->cfg.job_log_dir);
    berth_free(e->ns);
    berth_free(e->prefix);
    leases_destroy(&e->held);
    waker_destroy(&e->wake);
    status_retry_destroy(&e->retry);
    memguard_cache_destroy(&e->memguard);
    coalesce_destroy(&e->launches);
    pthread_mutex_destroy(&e->tick_mu);
    pthread_cond_destroy(&e->tick_cv);
    pthread_mutex_destroy(&e->stop_mu);
    pthread_cond_destroy(&e->stop_cv);
    pthread_mutex_destroy(&e->sub_mu);
    if (e->curl_inited)
        curl_global_cleanup();   /* pairs berth_engine_new's curl_global_init */
    berth_free(e);
}
