/* The fetcher's wake-ups; see waker.h. */
#include "engine/waker.h"

#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "berth/error.h"
#include "util/clock.h"

#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 2000

int waker_init(waker *w)
{
    w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    atomic_init(&w->raised, false);
    w->sub = NULL;
    w->redial_ms = 0;
    w->backoff_ms = BACKOFF_MIN_MS;
    return w->efd < 0 ? BERTH_EIO : 0;
}

void waker_destroy(waker *w)
{
    waker_unlisten(w);
    if (w->efd >= 0)
        close(w->efd);
    w->efd = -1;
}

void waker_raise(waker *w)
{
    uint64_t one = 1;
    /* only the raise that sets the flag writes: a burst of raises costs one syscall */
    if (!atomic_exchange(&w->raised, true) && write(w->efd, &one, sizeof one) < 0) {
        /* EAGAIN only at a counter of 2^64-1: it is readable, which is all a raise needs */
    }
}

void waker_clear(waker *w)
{
    uint64_t n;
    /* a raise between the exchange and the read leaves the eventfd readable: one
     * spurious wake-up (one more fetch), never a lost one */
    if (atomic_exchange(&w->raised, false) && read(w->efd, &n, sizeof n) < 0) {
        /* EAGAIN: the raiser has not written yet; its write wakes the next wait */
    }
}

bool waker_listen(waker *w, const rtarget *t, const char *chan)
{
    if (w->sub || clock_mono_ms() < w->redial_ms)
        return false;
    char err[256];
    w->sub = rsub_open(t, &chan, 1, err, sizeof err);
    if (!w->sub) {   /* Redis is away: the fetches fail too, and say why */
        w->redial_ms = clock_mono_ms() + w->backoff_ms;
        w->backoff_ms = w->backoff_ms < BACKOFF_MAX_MS ? w->backoff_ms * 2 : BACKOFF_MAX_MS;
        return false;
    }
    w->backoff_ms = BACKOFF_MIN_MS;
    return true;
}

void waker_unlisten(waker *w)
{
    rsub_close(w->sub);
    w->sub = NULL;
}

bool waker_wait(waker *w, int ms, const atomic_bool *go)
{
    if (!w->sub) {
        int64_t left = w->redial_ms - clock_mono_ms();
        if (left < ms)
            ms = left > 0 ? (int)left : 0;
    }
    struct pollfd p[2] = {{.fd = w->efd, .events = POLLIN},
                          {.fd = w->sub ? rsub_fd(w->sub) : -1, .events = POLLIN}};
    int64_t deadline = clock_mono_ms() + ms;
    int n = 0;
    while (!atomic_load(&w->raised) && atomic_load(go) &&
           (n = poll(p, 2, ms)) < 0 && errno == EINTR)
        ms = (int)(deadline > clock_mono_ms() ? deadline - clock_mono_ms() : 0);
    uint64_t count;
    if (n > 0 && p[0].revents && read(w->efd, &count, sizeof count) < 0) {
        /* EAGAIN: drained by a clear in between */
    }
    if (n > 0 && p[1].revents && rsub_drain(w->sub) != 0) {
        waker_unlisten(w);   /* the next round subscribes again, then fetches */
        w->redial_ms = 0;
    }
    /* the eventfd is read when readable, so a count left by a raise racing a clear costs
     * one spurious wake */
    bool raised = atomic_exchange(&w->raised, false);
    return n > 0 || raised || !atomic_load(go);
}
