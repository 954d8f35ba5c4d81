/* Starting and stopping the engine's threads; see berth_engine_start/stop in berth.h.
 * Graceful stop follows issue 3 item 10: stop fetching, wait for running jobs up to the
 * grace period, raise stop flags, hand unfinished runs back to their queues at once. */
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
    rconn *rc = engine_conn_get(e);
    if (!rc)
        return BERTH_EREDIS;
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

static void start_slots(berth_engine *e)
{
    slots_alloc(&e->workers, e->cfg.workers, e, &e->target);
    for (unsigned i = 0; i < e->workers.n; i++)
        pthread_create(&e->workers.v[i].thread, NULL, worker_main, &e->workers.v[i]);
}

int berth_engine_start(berth_engine *e)
{
    if (atomic_load(&e->started))
        return BERTH_ESTATE;
    int rc = engine_schema_check(e);
    if (rc == 0)
        rc = announce_types(e);
    if (rc != 0)
        return rc;
    engine_metrics_init(e);
    atomic_store(&e->started, true);
    atomic_store(&e->running, true);
    atomic_store(&e->fetching, true);
    e->started_at = engine_now();
    start_slots(e);
    pthread_create(&e->completer, NULL, completer_main, e);
    pthread_create(&e->subscriber, NULL, subscriber_main, e);
    pthread_create(&e->heartbeat, NULL, heartbeat_main, e);
    pthread_create(&e->promoter, NULL, promoter_main, e);
    pthread_create(&e->fetcher, NULL, fetcher_main, e);
    if (!e->cfg.hooks_disabled) {
        hook_opts ho = {.target = &e->target, .prefix = e->prefix, .pool_id = e->pool_id,
                        .retry_hours = e->cfg.hook_retry_hours,
                        .backoff_scale = e->cfg.hook_backoff_scale, .log = e->log};
        hook_dispatcher_start(&ho, &e->hooks);
    }
    BLOG_INFO(&e->log, "engine %s started: %u workers, %zu job types, namespace %s",
              e->pool_id, e->workers.n, e->ntypes, e->ns);
    return 0;
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
    atomic_store(&e->fetching, false);
    engine_wake_fetcher(e);
    slots_notify(&e->workers, NULL, NULL);  /* the fetcher may wait for a free worker */
    pthread_join(e->fetcher, NULL);
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
    pthread_join(e->completer, NULL);
    hook_dispatcher_stop(e->hooks);         /* unsettled events stay for the next leader */
    e->hooks = NULL;
    pthread_join(e->subscriber, NULL);
    pthread_join(e->heartbeat, NULL);
    pthread_join(e->promoter, NULL);
    e->stuck = result != 0;
    BLOG_INFO(&e->log, "engine %s stopped", e->pool_id);
    return result;
}

void berth_engine_free(berth_engine *e)
{
    if (!e)
        return;
    berth_engine_stop(e);
    if (e->stuck)
        return;  /* a worker still runs job code that may touch e: leak rather than crash */
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
    pthread_mutex_destroy(&e->tick_mu);
    pthread_cond_destroy(&e->tick_cv);
    pthread_mutex_destroy(&e->stop_mu);
    pthread_cond_destroy(&e->stop_cv);
    pthread_mutex_destroy(&e->sub_mu);
    if (e->curl_inited)
        curl_global_cleanup();   /* pairs berth_engine_new's curl_global_init */
    berth_free(e);
}
