/* The control subscriber: one blocking pub/sub connection per node (shard channels on a
 * Redis Cluster, subscribe.h). Messages `stop <id>` on `{ns}:berth:control` raise the stop
 * flag of the local run of that job
 * (or, for a run still waiting for a worker, mark it so that it is never started),
 * so berth_ctx_op_command answers "stop" without a Redis round trip. A lost connection
 * is redialled with back-off (the heartbeat re-checks stops of running jobs in case one
 * was missed). Wake-ups on `{ns}:berth:wake` are not read here: the fetcher subscribes
 * to them itself (waker.h), one thread hop less between an enqueue and its start. */
#include <string.h>
#include <time.h>

#include "engine/internal.h"
#include "util/clock.h"

static void stop_slot(slot *s, void *arg)
{
    berth_engine *e = arg;
    engine_raise_stop(e, s);
    BLOG_INFO(&e->log, "stop requested for running job %s", s->cur->id);
}

/* The run is marked first, then its slot looked for: a worker sets its slot before it
 * checks the mark (worker.c), so a run is either never started or its flag raised. */
static void raise_stop(berth_engine *e, const char *id, size_t len)
{
    leases_mark_stop(&e->held, id, len);
    slots_find(&e->workers, id, len, stop_slot, e);
}

static void handle(berth_engine *e, const char *chan, const char *body, size_t len)
{
    size_t plen = strlen(e->prefix);
    if (strncmp(chan, e->prefix, plen) != 0)
        return;
    if (strcmp(chan + plen, "berth:control") == 0 && len > 5 &&
             memcmp(body, "stop ", 5) == 0)
        raise_stop(e, body + 5, len - 5);
}

static rsub *dial(berth_engine *e)
{
    buf control;
    buf_init(&control, 0);   /* no cap: the namespace prefix plus a constant */
    buf_printf(&control, "%sberth:control", e->prefix);
    const char *chans[1] = {control.p};
    char err[256];
    rsub *s = control.p ? rsub_open(&e->target, chans, 1, err, sizeof err) : NULL;
    if (!s)
        BLOG_DEBUG(&e->log, "subscribe failed: %s", control.p ? err : "out of memory");
    buf_free(&control);
    return s;
}

void *subscriber_main(void *arg)
{
    berth_engine *e = arg;
    int backoff_ms = 50;
    while (atomic_load(&e->running)) {
        rsub *s = dial(e);
        if (!s) {
            clock_sleep_ms(backoff_ms);
            backoff_ms = backoff_ms < 2000 ? backoff_ms * 2 : 2000;
            continue;
        }
        backoff_ms = 50;
        pthread_mutex_lock(&e->sub_mu);
        e->sub = s;
        pthread_mutex_unlock(&e->sub_mu);
        const char *chan, *body;
        size_t len;
        while (atomic_load(&e->running) && rsub_next(s, &chan, &body, &len) == 0)
            handle(e, chan, body, len);
        pthread_mutex_lock(&e->sub_mu);
        e->sub = NULL;
        rsub_close(s);
        pthread_mutex_unlock(&e->sub_mu);
    }
    return NULL;
}
