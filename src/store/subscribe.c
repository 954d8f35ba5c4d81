/* Pub/sub subscriptions over one blocking hiredis connection; see subscribe.h. */
#include "store/subscribe.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <sys/socket.h>

#include "berth/error.h"
#include "util/alloc.h"

#define DIAL_TIMEOUT_MS 5000

struct rsub {
    rconn rc;           /* no read timeout once subscribed: blocks until a message comes */
    rreply *last;       /* the message the caller is reading */
};

rsub *rsub_open(const rtarget *t, const char *const *channels, size_t n, char *err,
                size_t errlen)
{
    rsub *s = berth_calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    /* a dial that cannot hang (a blackholed address); the subscription then blocks */
    rconn_init(&s->rc, t, DIAL_TIMEOUT_MS);
    rargs a;
    rargs_init(&a);
    rargs_adds(&a, s->rc.target.nnodes > 0 ? "SSUBSCRIBE" : "SUBSCRIBE");
    for (size_t i = 0; i < n; i++)
        rargs_adds(&a, channels[i]);
    rreply *r = rconn_argv(&s->rc, &a);    /* the first confirmation; the rest are skipped */
    rargs_free(&a);
    int ok = rreply_array(&s->rc, r, 3) == 0;
    rreply_free(r);
    if (!ok) {
        snprintf(err, errlen, "%s", s->rc.err);
        rsub_close(s);
        return NULL;
    }
    redisSetTimeout(s->rc.c, (struct timeval){0, 0});
    return s;
}

int rsub_next(rsub *s, const char **chan, const char **body, size_t *len)
{
    for (;;) {
        rreply_free(s->last);
        s->last = NULL;
        void *m = NULL;
        if (!s->rc.c || redisGetReply(s->rc.c, &m) != REDIS_OK || !m)
            return BERTH_EREDIS;
        s->last = m;
        const rreply *kind = rreply_at(m, 0);
        if (rreply_array(NULL, m, 3) == 0 && rreply_str_is(kind, "sunsubscribe"))
            return BERTH_EREDIS;   /* the slot moved away: subscribe at its new owner */
        if (rreply_array(NULL, m, 3) == 0 &&
            (rreply_str_is(kind, "message") || rreply_str_is(kind, "smessage")) &&
            rreply_string(NULL, rreply_at(m, 1), chan, NULL) == 0 &&
            rreply_string(NULL, rreply_at(m, 2), body, len) == 0)
            return 0;
    }
}

int rsub_fd(const rsub *s)
{
    return s->rc.c ? s->rc.c->fd : -1;
}

int rsub_drain(rsub *s)
{
    if (!s->rc.c || redisBufferRead(s->rc.c) != REDIS_OK)
        return BERTH_EREDIS;
    void *m = NULL;
    bool moved = false;
    while (redisGetReplyFromReader(s->rc.c, &m) == REDIS_OK && m) {
        /* the slot moved away (rsub_next): as good as a lost connection */
        moved |= rreply_array(NULL, m, 3) == 0 && rreply_str_is(rreply_at(m, 0), "sunsubscribe");
        freeReplyObject(m);
        m = NULL;
    }
    return s->rc.c->err || moved ? BERTH_EREDIS : 0;
}

void rsub_interrupt(rsub *s)
{
    if (s && s->rc.c)
        shutdown(s->rc.c->fd, SHUT_RDWR);
}

void rsub_close(rsub *s)
{
    if (!s)
        return;
    rreply_free(s->last);
    rconn_close(&s->rc);
    berth_free(s);
}
