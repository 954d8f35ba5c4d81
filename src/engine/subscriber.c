/* The control subscriber: one blocking pub/sub connection per node. Messages on
 * `{ns}:berth:wake` wake the fetcher (an enqueue found this node idle); messages
 * `stop <id>` on `{ns}:berth:control` raise the stop flag of the local run of that job,
 * so berth_ctx_op_command answers "stop" without a Redis round trip. A lost connection
 * is redialled with back-off; after a reconnect the fetcher is woken in case a wake-up
 * was missed (the heartbeat re-checks stops of running jobs for the same reason). */
#include <string.h>
#include <time.h>

#include "engine/internal.h"

static void raise_stop(berth_engine *e, const char *id, size_t len)
{
    pthread_mutex_lock(&e->slots_mu);
    for (unsigned i = 0; i < e->nslots; i++) {
        run *r = e->slots[i].cur;
        if (r && strlen(r->id) == len && memcmp(r->id, id, len) == 0) {
            engine_raise_stop(e, &e->slots[i]);
            BLOG_INFO(&e->log, "stop requested for running job %s", r->id);
        }
    }
    pthread_mutex_unlock(&e->slots_mu);
}

static void handle(berth_engine *e, redisReply *m)
{
    if (m->type != REDIS_REPLY_ARRAY || m->elements != 3 || !m->element[0]->str ||
        strcmp(m->element[0]->str, "message") != 0)
        return;
    const char *chan = m->element[1]->str;
    redisReply *body = m->element[2];
    size_t plen = strlen(e->prefix);
    if (strncmp(chan, e->prefix, plen) != 0)
        return;
    if (strcmp(chan + plen, "berth:wake") == 0)
        engine_wake_fetcher(e);
    else if (strcmp(chan + plen, "berth:control") == 0 && body->len > 5 &&
             memcmp(body->str, "stop ", 5) == 0)
        raise_stop(e, body->str + 5, body->len - 5);
}

static redisContext *dial(berth_engine *e)
{
    rconn rc;
    rconn_init(&rc, &e->target, 0);
    redisContext *c = NULL;
    if (rconn_connect(&rc) == 0) {
        c = rc.c;
        rc.c = NULL;
        redisReply *r = redisCommand(c, "SUBSCRIBE %sberth:wake %sberth:control", e->prefix,
                                     e->prefix);
        if (!r) {
            redisFree(c);
            c = NULL;
        }
        freeReplyObject(r);
        /* the second subscribe confirmation */
        if (c && redisGetReply(c, (void **)&r) == REDIS_OK)
            freeReplyObject(r);
    }
    rconn_close(&rc);
    return c;
}

void *subscriber_main(void *arg)
{
    berth_engine *e = arg;
    int backoff_ms = 50;
    while (atomic_load(&e->running)) {
        redisContext *c = dial(e);
        if (!c) {
            struct timespec ts = {backoff_ms / 1000, (backoff_ms % 1000) * 1000000L};
            nanosleep(&ts, NULL);
            backoff_ms = backoff_ms < 2000 ? backoff_ms * 2 : 2000;
            continue;
        }
        backoff_ms = 50;
        pthread_mutex_lock(&e->sub_mu);
        e->sub_ctx = c;
        pthread_mutex_unlock(&e->sub_mu);
        engine_wake_fetcher(e);
        redisReply *m;
        while (atomic_load(&e->running) && redisGetReply(c, (void **)&m) == REDIS_OK) {
            handle(e, m);
            freeReplyObject(m);
        }
        pthread_mutex_lock(&e->sub_mu);
        e->sub_ctx = NULL;
        pthread_mutex_unlock(&e->sub_mu);
        redisFree(c);
    }
    return NULL;
}
