/* A relay to a real redis-server that breaks a connection at an exact command; see
 * redis_relay.h. */
#include "redis_relay.h"
#include "wait.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_NEEDLES 4

typedef struct rr_conn {
    struct rr_conn *next;        /* in relay->conns; every field under relay->mu */
    redis_relay *r;
    int cfd, sfd;                /* client side, server side */
    long long requests;          /* forwarded to Redis */
    long long replies;           /* replies read from Redis (forwarded unless dropped) */
    long long refuse_at;         /* -1, or: cut once this many replies were delivered */
    long long drop_at;           /* -1, or: the index of the reply to throw away */
    int threads;                 /* pumps still running; the last one frees */
} rr_conn;

struct redis_relay {
    int lfd, port, redis_port;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t gone;         /* a connection was freed */
    rr_conn *conns;
    bool armed;
    rr_mode mode;
    int skip;
    int delay_ms;
    char *needles[MAX_NEEDLES + 1];
    int cuts;
};

/* The length of the one RESP message (RESP2, and RESP3's types) at p: > 0 when it is
 * whole in the n bytes, 0 when more bytes are needed, -1 when it is not RESP. */
static long msg_len(const char *p, size_t n)
{
    const char *eol = n > 0 ? memmem(p, n, "\r\n", 2) : NULL;
    if (!eol)
        return 0;
    size_t at = (size_t)(eol - p) + 2;
    long long v = strtoll(p + 1, NULL, 10);
    switch (p[0]) {
    case '+': case '-': case ':': case '_': case ',': case '#': case '(':
        return (long)at;
    case '$': case '!': case '=':
        if (v < 0)
            return (long)at;
        return at + (size_t)v + 2 <= n ? (long)(at + (size_t)v + 2) : 0;
    case '*': case '~': case '>': case '%': case '|': {
        long long items = v < 0 ? 0 : (p[0] == '%' || p[0] == '|') ? 2 * v : v;
        items += p[0] == '|';   /* an attribute comes before the reply it annotates */
        for (long long i = 0; i < items; i++) {
            long k = msg_len(p + at, n - at);
            if (k <= 0)
                return k;
            at += (size_t)k;
        }
        return (long)at;
    }
    default:
        return -1;
    }
}

static bool write_all(int fd, const char *p, size_t n)
{
    for (ssize_t w; n > 0; p += w, n -= (size_t)w)
        if ((w = write(fd, p, n)) <= 0)
            return false;
    return true;
}

static void cut(rr_conn *c)   /* caller holds mu: both pumps' reads end */
{
    shutdown(c->cfd, SHUT_RDWR);
    shutdown(c->sfd, SHUT_RDWR);
}

/* A refused request's connection once the replies before it are out (caller holds mu):
 * Redis's side closed, the client's only for writing — it reads the replies, then the
 * end — while the client's later bytes are read and dropped (a socket closed with unread
 * bytes sends a reset, which can make the client lose the replies it has not read yet). */
static void end_refused(rr_conn *c)
{
    shutdown(c->sfd, SHUT_RDWR);
    shutdown(c->cfd, SHUT_WR);
}

static void pump_done(rr_conn *c)
{
    redis_relay *r = c->r;
    pthread_mutex_lock(&r->mu);
    if (c->refuse_at >= 0)
        end_refused(c);
    else
        cut(c);
    if (--c->threads == 0) {
        rr_conn **pp = &r->conns;
        while (*pp != c)
            pp = &(*pp)->next;
        *pp = c->next;
        close(c->cfd);
        close(c->sfd);
        free(c);
        pthread_cond_broadcast(&r->gone);
    }
    pthread_mutex_unlock(&r->mu);
}

static bool matches(const redis_relay *r, const char *p, size_t n)
{
    for (int i = 0; r->needles[i]; i++)
        if (!memmem(p, n, r->needles[i], strlen(r->needles[i])))
            return false;
    return true;
}

/* What a pump does with one message. */
typedef enum { PASS, PASS_LATE, PASS_THEN_CUT, STOP } verdict;

/* One request from the client (caller holds mu). */
static verdict on_request(rr_conn *c, const char *p, size_t n)
{
    redis_relay *r = c->r;
    if (r->armed && r->mode != RR_DELAY_REPLY && matches(r, p, n) && r->skip-- <= 0) {
        r->armed = false;
        r->cuts++;
        if (r->mode == RR_DROP_REPLY) {
            c->drop_at = c->requests;
        } else {
            c->refuse_at = c->requests;
            if (c->replies >= c->refuse_at)
                end_refused(c);   /* else the last reply before it does */
            return STOP;
        }
    }
    c->requests++;
    return PASS;
}

/* One reply from Redis (caller holds mu): the one to drop ends the connection unsent; a
 * refused request's connection is cut once the replies before it were delivered. */
static verdict on_reply(rr_conn *c, const char *p, size_t n)
{
    redis_relay *r = c->r;
    if (c->drop_at >= 0 && c->replies == c->drop_at)
        return STOP;
    c->replies++;
    if (r->armed && r->mode == RR_DELAY_REPLY && matches(r, p, n)) {
        r->armed = false;
        r->cuts++;
        return PASS_LATE;
    }
    return c->refuse_at >= 0 && c->replies >= c->refuse_at ? PASS_THEN_CUT : PASS;
}

/* Reads whole messages from `from` and writes to `to` what decide lets pass, until either
 * side closes or decide stops; then cuts the connection. */
static void pump(rr_conn *c, int from, int to, verdict (*decide)(rr_conn *, const char *, size_t))
{
    size_t cap = 65536, len = 0;
    char *b = malloc(cap);
    for (ssize_t got; b && (got = read(from, b + len, cap - len)) > 0;) {
        len += (size_t)got;
        size_t off = 0;
        for (long k; (k = msg_len(b + off, len - off)) != 0; off += (size_t)k) {
            if (k < 0)
                goto out;
            pthread_mutex_lock(&c->r->mu);
            verdict v = decide(c, b + off, (size_t)k);
            pthread_mutex_unlock(&c->r->mu);
            if (v == PASS_LATE)
                wait_sleep_ms(c->r->delay_ms);   /* the stall itself (see RR_DELAY_REPLY) */
            if (v == STOP || !write_all(to, b + off, (size_t)k) || v == PASS_THEN_CUT)
                goto drain;
        }
        memmove(b, b + off, len - off);
        len -= off;
        if (len == cap) {
            char *nb = realloc(b, cap * 2);
            if (!nb)
                goto out;
            b = nb, cap *= 2;
        }
    }
drain:
    /* a refused connection's client side is read to its end (see end_refused) */
    while (b && from == c->cfd && c->refuse_at >= 0 && read(from, b, cap) > 0)
        ;
out:
    free(b);
    pump_done(c);
}

static void *upstream(void *arg)
{
    rr_conn *c = arg;
    pump(c, c->cfd, c->sfd, on_request);
    return NULL;
}

static void *downstream(void *arg)
{
    rr_conn *c = arg;
    pump(c, c->sfd, c->cfd, on_reply);
    return NULL;
}

static int dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static void add_conn(redis_relay *r, int cfd)
{
    int sfd = dial(r->redis_port);
    rr_conn *c = sfd >= 0 ? calloc(1, sizeof *c) : NULL;
    if (!c) {
        close(cfd);
        if (sfd >= 0)
            close(sfd);
        return;
    }
    *c = (rr_conn){.r = r, .cfd = cfd, .sfd = sfd, .refuse_at = -1, .drop_at = -1};
    pthread_mutex_lock(&r->mu);
    c->next = r->conns;
    r->conns = c;
    pthread_t t[2];
    for (int i = 0; i < 2; i++) {
        if (pthread_create(&t[i], NULL, i ? downstream : upstream, c) == 0) {
            c->threads++;
            pthread_detach(t[i]);
        }
    }
    bool none = c->threads == 0;
    if (c->threads == 1)
        cut(c);   /* the one pump ends at once and frees it */
    pthread_mutex_unlock(&r->mu);
    if (none) {   /* no pump at all: freed here as a pump would */
        c->threads = 1;
        pump_done(c);
    }
}

static void *accept_main(void *arg)
{
    redis_relay *r = arg;
    for (int c; (c = accept(r->lfd, NULL, NULL)) >= 0;)
        add_conn(r, c);
    return NULL;
}

redis_relay *rr_start(int redis_port)
{
    redis_relay *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->redis_port = redis_port;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->gone, NULL);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    r->lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (r->lfd < 0 || bind(r->lfd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(r->lfd, 64) != 0 || getsockname(r->lfd, (struct sockaddr *)&a, &len) != 0 ||
        pthread_create(&r->th, NULL, accept_main, r) != 0) {
        if (r->lfd >= 0)
            close(r->lfd);
        free(r);
        return NULL;
    }
    r->port = ntohs(a.sin_port);
    return r;
}

int rr_port(const redis_relay *r)
{
    return r->port;
}

static void disarm(redis_relay *r)   /* caller holds mu */
{
    for (int i = 0; r->needles[i]; i++) {
        free(r->needles[i]);
        r->needles[i] = NULL;
    }
    r->armed = false;
}

void rr_arm(redis_relay *r, rr_mode mode, int skip, const char *const *needles)
{
    pthread_mutex_lock(&r->mu);
    disarm(r);
    for (int i = 0; needles && needles[i] && i < MAX_NEEDLES; i++)
        r->needles[i] = strdup(needles[i]);
    r->mode = mode;
    r->skip = skip;
    r->armed = true;
    pthread_mutex_unlock(&r->mu);
}

void rr_arm_delay(redis_relay *r, int delay_ms, const char *const *needles)
{
    pthread_mutex_lock(&r->mu);
    r->delay_ms = delay_ms;   /* before the rule is armed */
    pthread_mutex_unlock(&r->mu);
    rr_arm(r, RR_DELAY_REPLY, 0, needles);
}

int rr_cuts(redis_relay *r)
{
    pthread_mutex_lock(&r->mu);
    int n = r->cuts;
    pthread_mutex_unlock(&r->mu);
    return n;
}

void rr_stop(redis_relay *r)
{
    if (!r)
        return;
    shutdown(r->lfd, SHUT_RDWR);   /* wakes accept */
    pthread_join(r->th, NULL);
    close(r->lfd);
    pthread_mutex_lock(&r->mu);
    for (rr_conn *c = r->conns; c; c = c->next)
        cut(c);
    while (r->conns)
        pthread_cond_wait(&r->gone, &r->mu);
    disarm(r);
    pthread_mutex_unlock(&r->mu);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->gone);
    free(r);
}
