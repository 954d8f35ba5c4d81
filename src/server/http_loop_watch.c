/* berthd's HTTP event loop: descriptors of the application's watched by a loop thread
 * (http.h: http_thread_watch; a launcher's Redis socket). Each is an lwatch in the thread's
 * epoll set, level-triggered for the events asked for, its callback run on the thread.
 *
 * What is registered is a descriptor of our own: a close-on-exec duplicate of the
 * application's. A watched descriptor may be closed by its owner before it is unwatched (a
 * launcher's connection that broke), and epoll forgets a registration only when the file
 * itself is released: with a copy of the socket still open elsewhere (a child forked
 * meanwhile, a redis-server or a job started before the descriptor was close-on-exec), the
 * registration would outlive every number that could take it out, and go on reporting
 * events for a freed lwatch. Our duplicate is always there to take it out with, and is
 * closed right after. Only the thread touches its watches (no lock). */
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth/error.h"
#include "server/http_loop.h"
#include "util/alloc.h"

const int lwatch_kind;  /* its address marks an lwatch in the epoll data */

/* Whether fd is the file w watches (its duplicate's): a number the owner closed may have
 * been reused by another socket. */
static bool same_file(int fd, const lwatch *w)
{
    struct stat a, b;
    return fstat(fd, &a) == 0 && fstat(w->own, &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

/* poll(2)'s bits to epoll's and back (the same values on Linux; named, not assumed) */
static uint32_t to_epoll(unsigned ev)
{
    return (ev & POLLIN ? EPOLLIN : 0) | (ev & POLLOUT ? EPOLLOUT : 0);
}

static unsigned to_poll(uint32_t ev)
{
    return (ev & EPOLLIN ? POLLIN : 0) | (ev & EPOLLOUT ? POLLOUT : 0) |
           (ev & EPOLLERR ? POLLERR : 0) | (ev & EPOLLHUP ? POLLHUP : 0);
}

/* Takes w out of the epoll set and unlinks it from t->watches (freed at the end of the
 * turn: an event of this turn's batch may still name it). */
static void unwatch(lthread *t, lwatch *w)
{
    epoll_ctl(t->ep, EPOLL_CTL_DEL, w->own, NULL);
    close(w->own);
    w->own = -1;
    for (lwatch **pp = &t->watches; *pp; pp = &(*pp)->next)
        if (*pp == w) {
            *pp = w->next;
            break;
        }
    w->fd = -1;
    w->next = t->dead_watches;
    t->dead_watches = w;
}

static lwatch *find(lthread *t, int fd)
{
    for (lwatch *w = t->watches; w; w = w->next)
        if (w->fd == fd)
            return w;
    return NULL;
}

/* Watches fd anew (w NULL: through a duplicate of it), or again with other events (w,
 * the same file). */
static int watch(lthread *t, lwatch *w, int fd, unsigned events, http_watch_fn fn, void *arg)
{
    struct epoll_event ev = {.events = to_epoll(events), .data.ptr = w};
    if (w) {
        if (epoll_ctl(t->ep, EPOLL_CTL_MOD, w->own, &ev) != 0) {
            unwatch(t, w);
            return BERTH_EIO;
        }
    } else {
        int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
        if (own < 0)
            return BERTH_EIO;
        w = berth_calloc(1, sizeof *w);
        if (!w) {
            close(own);
            return BERTH_ENOMEM;
        }
        ev.data.ptr = w;
        if (epoll_ctl(t->ep, EPOLL_CTL_ADD, own, &ev) != 0) {
            close(own);
            berth_free(w);
            return BERTH_EIO;
        }
        w->own = own;
        w->next = t->watches;
        t->watches = w;
    }
    w->kind = &lwatch_kind;
    w->fd = fd;
    w->fn = fn;
    w->arg = arg;
    return 0;
}

int http_thread_watch(http_thread *th, int old_fd, int fd, unsigned events, http_watch_fn fn,
                      void *arg)
{
    lthread *t = (lthread *)th;
    if (lthread_self() != t)
        return BERTH_ESTATE;
    lwatch *w = old_fd >= 0 ? find(t, old_fd) : NULL;
    if ((old_fd >= 0 && !w) || (fd >= 0 && !fn))
        return BERTH_EINVAL;
    if (w && fd == old_fd && same_file(fd, w))
        return watch(t, w, fd, events, fn, arg);
    if (w)
        unwatch(t, w);
    return fd >= 0 ? watch(t, NULL, fd, events, fn, arg) : 0;
}

void lwatch_event(lwatch *w, uint32_t ev)
{
    if (w->fd >= 0)            /* else unwatched earlier in this turn: a stale event */
        w->fn(to_poll(ev), w->arg);
}

void lwatch_free_dead(lthread *t)
{
    while (t->dead_watches) {
        lwatch *w = t->dead_watches;
        t->dead_watches = w->next;
        berth_free(w);
    }
}

void lwatch_free_all(lthread *t)
{
    while (t->watches)
        unwatch(t, t->watches);
    lwatch_free_dead(t);
}
