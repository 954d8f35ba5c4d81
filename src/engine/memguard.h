/* The engine's cached Redis memory reading for launch back-pressure (berth/memguard.h).
 * Each engine has its own (two engines never share readings, whatever their pool ids).
 * Owner: memguard.c, called by API threads, the launch coalescer's sender thread and
 * launchers' threads. Lock rule: mu guards every other field. */
#ifndef BERTH_ENGINE_MEMGUARD_H
#define BERTH_ENGINE_MEMGUARD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct memguard_cache {
    pthread_mutex_t mu;
    bool have;               /* a reading was taken */
    int64_t at_ms;           /* when (clock_wall_ms) */
    unsigned reused;         /* calls answered from it so far */
    uint64_t used, max;      /* used_memory, maxmemory */
} memguard_cache;

void memguard_cache_init(memguard_cache *c);
void memguard_cache_destroy(memguard_cache *c);
/* Takes a fresh reading if the cached one is due (memguard.c): the launch coalescer's idle
 * work, on its sender thread; engine is the berth_engine. */
void memguard_refresh(void *engine);
/* The reading is half way to stale: a launcher pipelines INFO memory behind its next
 * batch (launcher.c) and gives the reply, read at_ms (clock_wall_ms, when it was sent),
 * to memguard_store_info (a reply that is not INFO's text is ignored). */
struct berth_engine;
struct rreply;
bool memguard_due(struct berth_engine *e);
void memguard_store_info(struct berth_engine *e, const struct rreply *r, int64_t at_ms);

#endif
