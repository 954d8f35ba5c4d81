/* Launches owned by the caller's event loop; see include/berth/launcher.h.
 *
 * How: a launcher queues the launches added on its thread (each prepared and its part of
 * the script's arguments built at once, by enqueue.c, as berth_engine_launch_async does)
 * and sends up to COALESCE_MAX of them as one enqueue.lua call on a connection it keeps
 * (taken idle from the engine's pool, its script loaded: nothing here dials or waits).
 * The call is written with non-blocking sends and its reply read as far as the bytes go
 * (store/nbio.h); the host's loop watches the socket and calls berth_launcher_io. One
 * batch is in flight at a time, as the coalescer's (COALESCE_IN_FLIGHT: Redis's CPU per
 * job grows with concurrent batches), and a small one is held briefly for the launches of
 * the batch just answered (held, below). When the engine's memory reading is half stale,
 * INFO memory goes behind the batch's call in the same write, and its reply refreshes the
 * reading (memguard.h): with launches on launchers the coalescer's sender, which did it
 * before, may never run.
 *
 * What may not wait goes the shared way (enqueue_async_submit: the coalescer's sender
 * answers it): a batch when no connection is usable at once, a Redis Cluster's (its
 * redirections are followed by waiting), a batch refused with NOSCRIPT (it did not run;
 * the sender loads the script again) and one whose call could not be written whole (it did
 * not run either). A batch whose call was written and whose connection then broke, or
 * whose reply is overdue (the connection's socket timeout, as a blocking call's), fails
 * with BERTH_EREDIS: whether it ran is unknown, and a second try could launch it twice.
 *
 * Ownership and threads: everything here is the launcher's thread's; the launches are the
 * launcher's until answered or handed to the coalescer; the connection is the launcher's
 * until given back (to the pool when no reply is on its way, else closed). */
#include "berth/launcher.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "engine/enqueue.h"
#include "store/nbio.h"
#include "util/alloc.h"

enum { EXPECT_BATCH = 1, EXPECT_INFO = 2 };
/* How long a small batch may wait for the launches of the batch just answered (held):
 * the host's loop waits in milliseconds, so one is the least it can honour. */
#define HOLD_US 1000
#define EXPECT_MAX 4   /* replies on their way: a batch, an INFO behind it, the next batch */

struct berth_launcher {
    berth_engine *e;
    berth_launcher_watch_fn watch;
    void *ud;
    bool shared_only;            /* a Redis Cluster: every batch the shared way */
    rconn *rc;                   /* the kept connection, NULL when none */
    int fd;                      /* what the host watches: -1 (nothing), or rc's socket */
    unsigned events;             /* POLLIN, | POLLOUT while out is partly written */
    coalesce_queue queued;       /* added, waiting for the next call (enqueue_async's) */
    coalesce_item *flight[COALESCE_MAX]; /* the batch in flight */
    size_t nflight;              /* 0: none */
    unsigned char expect[EXPECT_MAX]; /* kinds of the replies on their way, oldest first */
    unsigned nexpect;
    int64_t info_at_ms;          /* clock_wall_ms when the INFO on its way was sent */
    buf out;                     /* the calls written last, from off on still to write */
    size_t off;
    size_t batch_end;            /* out's offset after the batch's call: written whole? */
    int64_t deadline_ms;         /* clock_mono_ms: the replies on their way are overdue */
    bool answering;              /* dones running: a flush from one waits for io's */
    size_t last_n;               /* launches in the batch answered last (0: none, or capped) */
    int64_t hold_until_us;       /* clock_mono_us: a held batch goes then; 0 when none held */
    bool closing;                /* in berth_launcher_free: nothing is held */
};

static void set_watch(berth_launcher *lr, int fd, unsigned events)
{
    if (fd == lr->fd && events == lr->events)
        return;
    int old = lr->fd;
    lr->fd = fd;
    lr->events = events;
    if (lr->watch)
        lr->watch(old, fd, events, lr->ud);
}

int berth_launcher_new(berth_engine *e, berth_launcher_watch_fn watch, void *ud,
                       berth_launcher **out)
{
    if (!out)
        return BERTH_EINVAL;
    *out = NULL;
    if (!e)
        return BERTH_EINVAL;
    berth_launcher *lr = berth_calloc(1, sizeof *lr);
    if (!lr)
        return BERTH_ENOMEM;
    lr->e = e;
    lr->watch = watch;
    lr->ud = ud;
    lr->shared_only = e->target.nnodes > 0;
    lr->fd = -1;
    buf_init(&lr->out, 0);   /* no cap: one call of at most COALESCE_MAX prepared jobs */
    *out = lr;
    return 0;
}

/* Gives the connection up: back to the pool when no reply is on its way (the pool closes
 * a broken or stale one), else closed (nobody may read another call's reply). */
static void release_conn(berth_launcher *lr)
{
    if (lr->rc && lr->nexpect)
        rconn_broke(lr->rc, "given up with replies on their way");
    engine_conn_put(lr->e, lr->rc);
    lr->rc = NULL;
    lr->nexpect = 0;
    lr->last_n = 0;             /* the next connection's batches start unheld */
    buf_reset(&lr->out);
    lr->off = lr->batch_end = 0;
    set_watch(lr, -1, 0);
}

/* Whether the kept connection can take the next call: its script loaded, no outage since
 * it was dialled, and, with no reply on its way, not closed by Redis. That last check is a
 * peek (a system call per batch) only when nobody watches the socket: a watched one is in
 * the host's poll set between batches too, so a close wakes the host, whose
 * berth_launcher_io gives the connection up before the next flush (a close that arrives
 * while the host's turn runs is found by that turn's batch: it fails with BERTH_EREDIS,
 * as a batch in flight at the close does). */
static bool kept_usable(const berth_launcher *lr)
{
    if (!rnb_ready(lr->rc, SCRIPT_ENQUEUE))
        return false;
    if (lr->nexpect > 0)
        return true;
    return lr->watch ? rconn_current(lr->rc) : rconn_fresh(lr->rc);
}

/* A connection a call can be written on now: the kept one, or one idle in the pool with
 * the script loaded. False: the batch goes the shared way. */
static bool conn_ready(berth_launcher *lr)
{
    if (lr->shared_only)
        return false;
    if (lr->rc && !kept_usable(lr))
        release_conn(lr);   /* its script lost, closed by Redis, or an outage since */
    if (!lr->rc) {
        rconn *rc = rpool_take_idle(&lr->e->pool);
        if (rc && !rnb_ready(rc, SCRIPT_ENQUEUE)) {
            engine_conn_put(lr->e, rc);
            rc = NULL;
        }
        lr->rc = rc;
        if (rc)
            set_watch(lr, rnb_fd(rc), POLLIN);
    }
    return lr->rc != NULL;
}

static void go_shared(coalesce_item **items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        enqueue_async_submit((enqueue_async *)items[i]);
}

/* Each launch's answer (enqueue_async_done: its done, here, on this thread). */
static void answer(berth_launcher *lr, coalesce_item **items, size_t n, const rreply *r,
                   int err, const char *why)
{
    enqueue_outcomes(items, n, r, err, why);
    bool was = lr->answering;
    lr->answering = true;
    for (size_t i = 0; i < n; i++)
        enqueue_async_done((enqueue_async *)items[i]);
    lr->answering = was;
}

static int64_t deadline(const berth_launcher *lr)
{
    int t = lr->rc ? lr->rc->timeout_ms : 0;
    return t > 0 ? clock_mono_ms() + t : INT64_MAX;
}

static void expect(berth_launcher *lr, unsigned char kind)
{
    lr->expect[lr->nexpect++] = kind;
}

/* Writes items' call (and INFO memory behind it when the reading is half stale) on the
 * kept connection and leaves the batch in flight. A call that could not be written whole
 * did not run: it goes the shared way. */
static void send_batch(berth_launcher *lr, coalesce_item **items, size_t n)
{
    berth_engine *e = lr->e;
    if (lr->off == lr->out.len) {   /* all written: start over (else append behind) */
        buf_reset(&lr->out);
        lr->off = 0;
    }
    rargs a;
    int own = enqueue_join(e, items, n, &a);
    int err = a.err ? BERTH_ENOMEM : rnb_add_eval(lr->rc, &lr->out, SCRIPT_ENQUEUE, &a);
    a.argc = own;   /* only the header is a's own */
    rargs_free(&a);
    lr->batch_end = lr->out.len;
    bool info = !err && memchr(lr->expect, EXPECT_INFO, lr->nexpect) == NULL &&
                memguard_due(e) && rnb_add_cmd(&lr->out, "INFO memory") == 0;
    if (lr->out.err) {   /* out's bytes are gone (buf.h): the calls on their way too */
        release_conn(lr);
        buf_free(&lr->out);
        err = BERTH_ENOMEM;
    }
    if (err) {           /* nothing of this batch was written */
        answer(lr, items, n, NULL, BERTH_ENOMEM, "");
        return;
    }
    int w = rnb_write(lr->rc, &lr->out, &lr->off);
    if (w == BERTH_EREDIS) {
        bool sent = lr->off >= lr->batch_end;
        BLOG(&e->log, BERTH_LOG_DEBUG, "launcher: writing a batch failed: %s", lr->rc->err);
        release_conn(lr);
        if (sent)
            answer(lr, items, n, NULL, BERTH_EREDIS, "");
        else
            go_shared(items, n);
        return;
    }
    memcpy(lr->flight, items, n * sizeof *items);
    lr->nflight = n;
    expect(lr, EXPECT_BATCH);
    if (info) {
        expect(lr, EXPECT_INFO);
        lr->info_at_ms = clock_wall_ms();
    }
    lr->deadline_ms = deadline(lr);
    set_watch(lr, rnb_fd(lr->rc), POLLIN | (w == 1 ? POLLOUT : 0));
}

/* Whether what is queued waits a little longer (up to HOLD_US from the first time it was
 * held): while fewer than half as many launches are queued as the batch answered last
 * had. Under load the answered launches' callers are about to launch again (a client
 * whose answer was just written sends its next request), and a batch that waits for them
 * costs Redis less per launch than two half batches; one launch at a time (last_n 1) is
 * never held, nor the rest of a batch cut at COALESCE_MAX (last_n 0). */
static bool held(berth_launcher *lr)
{
    if (lr->closing || lr->queued.n * 2 >= lr->last_n) {
        lr->hold_until_us = 0;
        return false;
    }
    int64_t now = clock_mono_us();
    if (lr->hold_until_us == 0)
        lr->hold_until_us = now + HOLD_US;
    if (now < lr->hold_until_us)
        return true;
    lr->hold_until_us = 0;
    return false;
}

/* Sends what is queued unless a batch is in flight or what is queued is held: one call on
 * the kept connection, or every batch the shared way when none is usable. */
static void send_next(berth_launcher *lr)
{
    coalesce_item *items[COALESCE_MAX];
    while (lr->nflight == 0 && lr->queued.head && !lr->answering && !held(lr)) {
        size_t n = coalesce_queue_take(&lr->queued, items);
        if (conn_ready(lr))
            send_batch(lr, items, n);
        else
            go_shared(items, n);
    }
}

void berth_launcher_add(berth_launcher *lr, const berth_launch *l, berth_launch_done_fn done,
                        void *ud)
{
    char err[1024] = "";
    berth_stats *s = NULL;
    if (!l) {
        done(BERTH_EINVAL, NULL, "no launch given", ud);
        return;
    }
    if (enqueue_is_periodic(l)) {
        int rc = enqueue_periodic(lr->e, l, &s, err, sizeof err);
        done(rc, s, err, ud);
        return;
    }
    enqueue_async *a = NULL;
    int rc = enqueue_async_new(lr->e, l, done, ud, &a, err, sizeof err);
    if (rc != 0) {
        done(rc, NULL, err, ud);
        return;
    }
    coalesce_queue_push(&lr->queued, &a->w.item);
}

void berth_launcher_flush(berth_launcher *lr)
{
    send_next(lr);
}

/* The batch in flight failed as a whole (its connection broke or its reply is overdue):
 * BERTH_EREDIS for each launch, or the shared way when its call was never written whole
 * (it did not run). The connection is given up. */
static void fail_flight(berth_launcher *lr, const char *why)
{
    coalesce_item *items[COALESCE_MAX];
    size_t n = lr->nflight;
    bool sent = lr->off >= lr->batch_end;
    memcpy(items, lr->flight, n * sizeof *items);
    lr->nflight = 0;
    BLOG(&lr->e->log, BERTH_LOG_DEBUG, "launcher: %zu launches failed: %s", n, why);
    release_conn(lr);
    if (sent)
        answer(lr, items, n, NULL, BERTH_EREDIS, "");
    else
        go_shared(items, n);
}

/* The batch's reply r (the caller frees it): each launch's answer, or the shared way for
 * a NOSCRIPT refusal (the call did not run). */
static void batch_reply(berth_launcher *lr, rreply *r)
{
    coalesce_item *items[COALESCE_MAX];
    size_t n = lr->nflight;
    memcpy(items, lr->flight, n * sizeof *items);
    lr->nflight = 0;
    lr->last_n = n < COALESCE_MAX ? n : 0;
    if (rreply_is_error(r) && strncmp(rreply_error(r), "NOSCRIPT", 8) == 0) {
        lr->rc->sha[SCRIPT_ENQUEUE][0] = '\0';   /* conn_ready gives it back */
        go_shared(items, n);
        return;
    }
    int err = 0;
    char why[256] = "";
    if (rreply_array(lr->rc, r, n) != 0) {
        BLOG(&lr->e->log, rconn_fail_level(r), "enqueue failed: %s", lr->rc->err);
        if (rreply_is_error(r))
            snprintf(why, sizeof why, "%s", lr->rc->err);
        err = BERTH_EREDIS;
    }
    answer(lr, items, n, err ? NULL : r, err, why);
}

/* Reads every whole reply that has arrived. False when the connection broke. */
static bool read_replies(berth_launcher *lr)
{
    while (lr->nexpect > 0) {
        rreply *r = NULL;
        if (rnb_read(lr->rc, &r) != 0)
            return false;
        if (!r)
            return true;
        unsigned char kind = lr->expect[0];
        memmove(lr->expect, lr->expect + 1, --lr->nexpect);
        lr->deadline_ms = deadline(lr);
        if (kind == EXPECT_BATCH)
            batch_reply(lr, r);
        else
            memguard_store_info(lr->e, r, lr->info_at_ms);
        rreply_free(r);
    }
    return true;
}

void berth_launcher_io(berth_launcher *lr)
{
    if (lr->rc && lr->nexpect == 0) {
        if (!rconn_fresh(lr->rc))   /* closed by Redis while kept, or bytes nobody asked for */
            release_conn(lr);
    } else if (lr->rc) {
        bool ok = rnb_write(lr->rc, &lr->out, &lr->off) != BERTH_EREDIS && read_replies(lr);
        if (!ok)
            fail_flight(lr, lr->rc ? lr->rc->err : "connection lost");
        else if (lr->nexpect > 0 && clock_mono_ms() >= lr->deadline_ms) {
            rconn_broke(lr->rc, "redis did not answer in time");
            fail_flight(lr, "redis did not answer in time");
        }
        if (lr->rc)
            set_watch(lr, rnb_fd(lr->rc), POLLIN | (lr->off < lr->out.len ? POLLOUT : 0));
    }
    send_next(lr);
}

int berth_launcher_timeout_ms(const berth_launcher *lr)
{
    if (lr->hold_until_us && lr->nflight == 0 && lr->queued.head) {   /* a held batch */
        int64_t left = lr->hold_until_us - clock_mono_us();
        return left <= 0 ? 0 : (int)((left + 999) / 1000);
    }
    if (!lr->rc || lr->nexpect == 0 || lr->deadline_ms == INT64_MAX)
        return -1;
    int64_t left = lr->deadline_ms - clock_mono_ms();
    return left <= 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
}

size_t berth_launcher_pending(const berth_launcher *lr)
{
    return lr->queued.n + lr->nflight;
}

void berth_launcher_free(berth_launcher *lr)
{
    if (!lr)
        return;
    lr->closing = true;
    while (lr->queued.head || lr->nexpect > 0) {
        if (lr->nexpect == 0) {
            send_next(lr);
            continue;
        }
        struct pollfd p = {.fd = lr->fd, .events = (short)lr->events};
        (void)poll(&p, 1, berth_launcher_timeout_ms(lr));
        berth_launcher_io(lr);
    }
    release_conn(lr);
    buf_free(&lr->out);
    berth_free(lr);
}
