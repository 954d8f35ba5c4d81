/* Starting and stopping the engine's threads; see berth_engine_start/stop in berth.h. */
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
    e->nslots = e->cfg.workers;
    e->slots = berth_calloc(e->nslots, sizeof *e->slots);
    e->idle_workers = e->nslots;
    e->worker_ids = berth_calloc(e->nslots, sizeof *e->worker_ids);
    for (unsigned i = 0; i < e->nslots; i++) {
        slot *s = &e->slots[i];
        s->e = e;
        atomic_init(&s->stop, false);
        berth_id_new(e->worker_ids[i]);
        rconn_init(&s->rc, &e->target, 5000);
        pthread_create(&s->thread, NULL, worker_main, s);
    }
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
    pthread_create(&e->scheduler, NULL, scheduler_main, e);
    pthread_create(&e->fetcher, NULL, fetcher_main, e);
    if (!e->cfg.hooks_disabled) {
        hook_opts ho = {.target = &e->target, .prefix = e->prefix, .pool_id = e->pool_id,
                        .retry_hours = e->cfg.hook_retry_hours,
                        .backoff_scale = e->cfg.hook_backoff_scale, .log = e->log};
        hook_dispatcher_start(&ho, &e->hooks);
    }
    BLOG_INFO(&e->log, "engine %s started: %u workers, %zu job types, namespace %s",
              e->pool_id, e->nslots, e->ntypes, e->ns);
    return 0;
}

/* Waits until every worker is idle or the deadline passes (or, when hurryable, until
 * berth_engine_hurry). True if all are idle. */
static bool wait_idle(berth_engine *e, unsigned ms, bool hurryable)
{
    struct timespec deadline;
    engine_timespec_after(&deadline, (int)ms);
    pthread_mutex_lock(&e->slots_mu);
    bool idle = true;
    for (;;) {
        idle = true;
        for (unsigned i = 0; i < e->nslots; i++)
            idle &= e->slots[i].cur == NULL;
        idle &= fifo_len(&e->ready) == 0;
        if (idle || (hurryable && atomic_load(&e->hurry)) ||
            pthread_cond_timedwait(&e->slots_cv, &e->slots_mu, &deadline) != 0)
            break;
    }
    pthread_mutex_unlock(&e->slots_mu);
    return idle;
}

static void raise_stop_flags(berth_engine *e)
{
    engine_raise_stop(e, NULL);
}

static void wake_all(berth_engine *e)
{
    engine_wake_fetcher(e);
    fifo_close(&e->ready);
    pthread_mutex_lock(&e->slots_mu);
    pthread_cond_broadcast(&e->slots_cv);
    pthread_mutex_unlock(&e->slots_mu);
    pthread_mutex_lock(&e->sub_mu);
    rsub_interrupt(e->sub);
    pthread_mutex_unlock(&e->sub_mu);
}

void berth_engine_hurry(berth_engine *e)
{
    pthread_mutex_lock(&e->slots_mu);       /* wait_idle checks the flag under it */
    atomic_store(&e->hurry, true);
    pthread_cond_broadcast(&e->slots_cv);
    pthread_mutex_unlock(&e->slots_mu);
}

unsigned berth_engine_running_jobs(berth_engine *e)
{
    unsigned n = 0;
    pthread_mutex_lock(&e->slots_mu);
    for (unsigned i = 0; i < e->nslots; i++)
        n += e->slots[i].cur != NULL;
    pthread_mutex_unlock(&e->slots_mu);
    return n;
}

int berth_engine_stop(berth_engine *e)
{
    if (!atomic_load(&e->started) || !atomic_load(&e->running))
        return 0;
    atomic_store(&e->fetching, false);
    engine_wake_fetcher(e);
    pthread_mutex_lock(&e->slots_mu);       /* the fetcher may wait for a free worker */
    pthread_cond_broadcast(&e->slots_cv);
    pthread_mutex_unlock(&e->slots_mu);
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
    for (unsigned i = 0; i < e->nslots; i++) {
        if (result == 0)
            pthread_join(e->slots[i].thread, NULL);
        else
            pthread_detach(e->slots[i].thread);
    }
    fifo_close(&e->done);                   /* workers are done: the completer drains it */
    pthread_join(e->completer, NULL);
    hook_dispatcher_stop(e->hooks);         /* unsettled events stay for the next leader */
    e->hooks = NULL;
    pthread_join(e->subscriber, NULL);
    pthread_join(e->heartbeat, NULL);
    pthread_join(e->scheduler, NULL);
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
    for (unsigned i = 0; i < e->nslots; i++)
        rconn_close(&e->slots[i].rc);
    berth_free(e->slots);
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
    pthread_mutex_destroy(&e->slots_mu);
    pthread_cond_destroy(&e->slots_cv);
    pthread_mutex_destroy(&e->wake_mu);
    pthread_cond_destroy(&e->wake_cv);
    pthread_mutex_destroy(&e->own_mu);
    for (size_t i = 0; i < e->nretry_mem; i++)
        berth_free(e->retry_mem[i]);
    berth_free(e->retry_mem);
    pthread_mutex_destroy(&e->retry_mu);
    pthread_mutex_destroy(&e->tick_mu);
    pthread_cond_destroy(&e->tick_cv);
    pthread_mutex_destroy(&e->stop_mu);
    pthread_cond_destroy(&e->stop_cv);
    berth_free(e->worker_ids);
    pthread_mutex_destroy(&e->sub_mu);
    berth_free(e);
}
