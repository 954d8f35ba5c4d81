/* berthd's HTTP event loop: descriptors of the application's watched by a loop thread
 * (http.h: http_thread_watch; a launcher's Redis socket). Each is an lwatch in the thread's
 * epoll set, level-triggered for the events asked for, its callback run on the thread.
 *
 * A watched descriptor may be closed by its owner before it is unwatched (a launcher's
 * connection that broke): epoll has then dropped it by itself, and its number may already
 * belong to another socket, even a client's in this very epoll set. So the old descriptor
 * is removed from the set only while fstat says it is still the file that was watched
 * (sockets and pipes have an inode of their own), and a new descriptor on a reused number
 * is added, not modified. Only the thread touches its watches (no lock). */
#include <poll.h>
#include <sys/epoll.h>
#include <sys/stat.h>

#include "berth/error.h"
#include "server/http_loop.h"
#include "util/alloc.h"

const int lwatch_kind;  /* its address marks an lwatch in the epoll data */

static bool same_file(int fd, const lwatch *w)
{
    struct stat st;
    return fstat(fd, &st) == 0 && (uint64_t)st.st_dev == w->dev && (uint64_t)st.st_ino == w->ino;
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

/* Unlinks w from t->watches (freed at the end of the turn). */
static void unwatch(lthread *t, lwatch *w)
{
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

/* Watches fd anew (w NULL), or again with other events (w, the same file). */
static int watch(lthread *t, lwatch *w, int fd, unsigned events, http_watch_fn fn, void *arg)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return BERTH_EIO;
    lwatch *nw = w ? w : berth_calloc(1, sizeof *nw);
    struct epoll_event ev = {.events = to_epoll(events), .data.ptr = nw};
    if (epoll_ctl(t->ep, w ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) != 0) {
        if (w)
            unwatch(t, w);
        else
            berth_free(nw);
        return BERTH_EIO;
    }
    nw->kind = &lwatch_kind;
    nw->fd = fd;
    nw->dev = (uint64_t)st.st_dev;
    nw->ino = (uint64_t)st.st_ino;
    nw->fn = fn;
    nw->arg = arg;
    if (!w) {
        nw->next = t->watches;
        t->watches = nw;
    }
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
    if (w) {
        if (same_file(w->fd, w))
            epoll_ctl(t->ep, EPOLL_CTL_DEL, w->fd, NULL);
        unwatch(t, w);
    }
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
