/* The engine's cached Redis memory reading for launch back-pressure (berth/memguard.h).
 * Each engine has its own (two engines never share readings, whatever their pool ids).
 * Owner: memguard.c, called by API threads and the launch coalescer's sender thread. Lock rule: mu guards every other field. */
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

#endif
