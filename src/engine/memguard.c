/* Memory back-pressure for launches; see include/berth/memguard.h.
 *
 * The reading (used_memory, maxmemory) is cached per engine so that a busy API far from the
 * limit pays one INFO round trip per BERTH_MEMGUARD_REFRESH_MS or per MAX_REUSE launches,
 * whichever comes first, not one per launch (a Redis without maxmemory: per refresh period); near the limit every launch reads afresh. So a
 * burst can pass the refusal point by at most what MAX_REUSE launches add before it is
 * seen, which the (1 - fraction) × maxmemory headroom absorbs. The cache is a field of the
 * engine (engine/memguard.h), so two engines never share a reading. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "berth/memguard.h"
#include "engine/internal.h"

#define NEAR 0.8        /* re-read on every call from this share of the refusal point */
#define MAX_REUSE 8     /* and reuse a far-from-the-limit reading for at most 8 calls */

typedef struct reading {
    uint64_t used, max;
} reading;

void memguard_cache_init(memguard_cache *c)
{
    pthread_mutex_init(&c->mu, NULL);
    c->have = false;
    c->at_ms = 0;
    c->reused = 0;
    c->used = c->max = 0;
}

void memguard_cache_destroy(memguard_cache *c)
{
    pthread_mutex_destroy(&c->mu);
}

/* The decimal value of "\n<name>:" (or at the start) in info, into *out. */
static int info_field(const char *info, size_t len, const char *name, uint64_t *out)
{
    size_t nlen = strlen(name);
    for (size_t i = 0; i + nlen < len; i++) {
        if ((i > 0 && info[i - 1] != '\n') || memcmp(info + i, name, nlen) != 0 ||
            info[i + nlen] != ':')
            continue;
        uint64_t v = 0;
        size_t j = i + nlen + 1, digits = 0;
        for (; j < len && info[j] >= '0' && info[j] <= '9'; j++, digits++) {
            unsigned d = (unsigned)(info[j] - '0');
            if (v > (UINT64_MAX - d) / 10)
                return BERTH_EINVAL;
            v = v * 10 + d;
        }
        if (digits == 0 || (j < len && info[j] != '\r' && info[j] != '\n'))
            return BERTH_EINVAL;
        *out = v;
        return 0;
    }
    return BERTH_EINVAL;
}

int berth_memory_info_parse(const char *info, size_t len, uint64_t *used, uint64_t *max)
{
    if (!info)
        return BERTH_EINVAL;
    int rc = info_field(info, len, "used_memory", used);
    return rc ? rc : info_field(info, len, "maxmemory", max);
}

/* The cached reading of e if fresh enough for fraction; false when Redis must be read. */
static bool cached(berth_engine *e, double fraction, int64_t now, reading *out)
{
    memguard_cache *c = &e->memguard;
    pthread_mutex_lock(&c->mu);
    bool near = c->max && (double)c->used >= NEAR * fraction * (double)c->max;
    /* without maxmemory no launch can pass a limit: only time makes a reading stale (an
     * operator's CONFIG SET maxmemory is seen within BERTH_MEMGUARD_REFRESH_MS) */
    bool hit = c->have && !near && now - c->at_ms < BERTH_MEMGUARD_REFRESH_MS &&
               (c->reused < MAX_REUSE || c->max == 0);
    c->reused += hit;
    *out = (reading){c->used, c->max};
    pthread_mutex_unlock(&c->mu);
    return hit;
}

static void store(berth_engine *e, const reading *in, int64_t now)
{
    memguard_cache *c = &e->memguard;
    pthread_mutex_lock(&c->mu);
    c->have = true;
    c->at_ms = now;
    c->reused = 0;
    c->used = in->used;
    c->max = in->max;
    pthread_mutex_unlock(&c->mu);
}

/* INFO memory → r. 0 or BERTH_EREDIS. */
static int read_redis(berth_engine *e, reading *r)
{
    rconn *rc = NULL;
    int taken = engine_conn_take(e, &rc);   /* BERTH_EREDIS or BERTH_ENOMEM */
    if (taken)
        return taken;
    rreply *rep = rconn_read(rc, "INFO memory");
    int err = BERTH_EREDIS;
    const char *info;
    size_t len;
    if (rreply_string(rc, rep, &info, &len) == 0)
        err = berth_memory_info_parse(info, len, &r->used, &r->max) ? BERTH_EREDIS : 0;
    rreply_free(rep);
    engine_conn_put(e, rc);
    return err;
}

/* Whether the cached reading is half way to stale (by time, or by its reuse count when
 * Redis has a limit): then the coalescer's sender (memguard_refresh) or a launcher
 * (memguard_due, memguard_store_info) takes a fresh one off the launch path, so that at a
 * steady launch rate the API threads find it fresh and do not pay the INFO round trip on
 * a launch's path (at 200 launches/s it was 2 % of the launches, enough to set their
 * p99). Nothing is read before the first check took a reading (back-pressure off: never);
 * near the limit every check still reads for itself. */
bool memguard_due(berth_engine *e)
{
    memguard_cache *c = &e->memguard;
    int64_t now = clock_wall_ms();
    pthread_mutex_lock(&c->mu);
    bool due = c->have && (now - c->at_ms >= BERTH_MEMGUARD_REFRESH_MS / 2 ||
                           (c->max && c->reused >= MAX_REUSE / 2));
    pthread_mutex_unlock(&c->mu);
    return due;
}

void memguard_store_info(berth_engine *e, const rreply *r, int64_t at_ms)
{
    reading rd;
    const char *info;
    size_t len;
    if (rreply_string(NULL, r, &info, &len) == 0 &&
        berth_memory_info_parse(info, len, &rd.used, &rd.max) == 0)
        store(e, &rd, at_ms);
}

/* The coalescer's idle work (setup.c), on its sender thread. */
void memguard_refresh(void *engine)
{
    berth_engine *e = engine;
    int64_t now = clock_wall_ms();
    reading r;
    if (memguard_due(e) && read_redis(e, &r) == 0)
        store(e, &r, now);
}

int berth_engine_memory_ok(berth_engine *e, double fraction, char *err, size_t errlen)
{
    if (!e || !(fraction > 0))
        return 0;
    int64_t now = clock_wall_ms();
    reading r = {0};
    if (!cached(e, fraction, now, &r)) {
        if (read_redis(e, &r) != 0)
            return 0;
        store(e, &r, now);
    }
    if (r.max == 0 || (double)r.used < fraction * (double)r.max)
        return 0;
    snprintf(err, errlen, "redis memory is above %g%% of maxmemory; launch refused",
             fraction * 100);
    return BERTH_ESTATE;
}
