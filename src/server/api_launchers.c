/* The API's launchers: on each of berthd's own HTTP loop threads, one berth_launcher per
 * namespace served (made at that thread's first launch for it), carried by the HTTP
 * server's thread hooks (http.h). A launch read on a loop thread is added to that thread's
 * launcher, sent with the others of the same loop turn as one script call when the turn
 * ends, and answered on the same thread when the launcher's Redis socket (watched in the
 * thread's epoll set) has the reply: no sender thread, no hand-back, no wake-up
 * (docs/design-notes.md, "HTTP launches, round five: the loop thread owns its launches").
 * libmicrohttpd (HTTPS, or berth.http_server: libmicrohttpd) has no hooks: api_launcher is
 * NULL there and the launch goes berth_engine_launch_async's way, as before.
 *
 * Ownership and threads: an api_thread, its slots and their launchers belong to their loop
 * thread and are touched only on it (hooks, handlers, watch callbacks). The engines outlive
 * the server (api.h). At stop the server first waits for every deferred answer while the
 * threads keep turning, so a launcher has nothing left when its thread's stop hook frees it
 * (berth_launcher_free would otherwise wait for what is pending: it may block). */
#include <stdlib.h>

#include "berth/launcher.h"
#include "server/api_internal.h"
#include "util/alloc.h"

typedef struct api_thread api_thread;

/* One namespace's launcher on one thread. */
typedef struct lslot {
    api_thread *at;
    berth_engine *engine;
    berth_launcher *lr;          /* NULL until the thread's first launch for engine */
    int fd;                      /* the launcher's socket watched in the epoll set, or -1 */
} lslot;

struct api_thread {
    http_thread *th;
    size_t n;
    lslot slot[];
};

/* http_watch_fn: the launcher's socket is ready */
static void on_ready(unsigned events, void *arg)
{
    (void)events;
    berth_launcher_io(((lslot *)arg)->lr);
}

/* berth_launcher_watch_fn: the socket to watch changed. What is watched is the slot's
 * record (old_fd is the launcher's, the same). Should epoll refuse the new socket, the
 * batch is still answered at its deadline (berth_launcher_timeout_ms, BERTH_EREDIS). */
static void on_watch(int old_fd, int fd, unsigned events, void *ud)
{
    (void)old_fd;
    lslot *sl = ud;
    int rc = http_thread_watch(sl->at->th, sl->fd, fd, events, on_ready, sl);
    sl->fd = rc == 0 ? fd : -1;
}

static void *thread_start(http_thread *th, void *ctx)
{
    const api_engines *es = ctx;
    api_thread *at = berth_calloc(1, sizeof *at + es->n * sizeof at->slot[0]);
    if (!at)
        return NULL;     /* no memory: this thread's launches go the shared way */
    at->th = th;
    at->n = es->n;
    for (size_t i = 0; i < es->n; i++)
        at->slot[i] = (lslot){.at = at, .engine = es->engine[i], .fd = -1};
    return at;
}

/* The turn's end: a batch past its deadline is answered, what this turn added is sent (or
 * held, and sent by a later turn: thread_timeout wakes the thread for it). */
static void thread_turn(void *state)
{
    api_thread *at = state;
    for (size_t i = 0; i < at->n; i++) {
        berth_launcher *lr = at->slot[i].lr;
        if (!lr)
            continue;
        if (berth_launcher_timeout_ms(lr) == 0)
            berth_launcher_io(lr);
        berth_launcher_flush(lr);
    }
}

static int thread_timeout(void *state)
{
    api_thread *at = state;
    int ms = -1;
    for (size_t i = 0; i < at->n; i++) {
        int t = at->slot[i].lr ? berth_launcher_timeout_ms(at->slot[i].lr) : -1;
        if (t >= 0 && (ms < 0 || t < ms))
            ms = t;
    }
    return ms;
}

static void thread_stop(void *state)
{
    api_thread *at = state;
    for (size_t i = 0; i < at->n; i++)
        berth_launcher_free(at->slot[i].lr);
    berth_free(at);
}

http_thread_hooks api_launcher_hooks(const api_engines *engines)
{
    return (http_thread_hooks){.start = thread_start, .turn = thread_turn,
                               .timeout_ms = thread_timeout, .stop = thread_stop,
                               .ctx = (void *)engines};
}

berth_launcher *api_launcher(const http_req *req, berth_engine *e)
{
    api_thread *at = http_req_thread(req);
    for (size_t i = 0; at && i < at->n; i++) {
        lslot *sl = &at->slot[i];
        if (sl->engine != e)
            continue;
        if (!sl->lr && berth_launcher_new(e, on_watch, sl, &sl->lr) != 0)
            sl->lr = NULL;       /* no memory: this launch goes the shared way */
        return sl->lr;
    }
    return NULL;
}
