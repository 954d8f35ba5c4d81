/* Ids; see id.h. */
#include "model/id.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "berth/error.h"
#include "util/clock.h"

/* Fills b from getrandom(2), retrying short reads and EINTR. */
static bool random_bytes(unsigned char *b, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = getrandom(b + got, n - got, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        got += (size_t)k;
    }
    return true;
}

/* Random bytes for ids, read from getrandom(2) 480 bytes (40 ids) at a time per thread:
 * one system call per id was a measurable share of an HTTP launch's cost. A forked child
 * drops what its parent had read (pthread_atfork), so no two processes share ids. */
#define POOL 480
static _Thread_local unsigned char pool[POOL];
static _Thread_local size_t pool_left;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void pool_drop(void)
{
    explicit_bzero(pool, sizeof pool);
    pool_left = 0;
}

static void atfork_init(void)
{
    pthread_atfork(NULL, NULL, pool_drop);
}

static bool pool_take(unsigned char *b, size_t n)
{
    pthread_once(&atfork_once, atfork_init);
    if (pool_left < n) {
        if (!random_bytes(pool, sizeof pool))
            return false;
        pool_left = sizeof pool;
    }
    pool_left -= n;
    memcpy(b, pool + pool_left, n);
    explicit_bzero(pool + pool_left, n);   /* a byte is handed out once */
    return true;
}

void berth_id_new(char out[25])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[12];
    if (!pool_take(b, sizeof b)) {  /* getrandom cannot fail after boot; stay distinct */
        int64_t t[2] = {clock_wall_ms(), clock_mono_us()};
        memcpy(b, t, sizeof b);
    }
    for (int i = 0; i < 12; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[24] = '\0';
}

static bool hex24(const char *s)
{
    for (int i = 0; i < BERTH_ID_LEN; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

bool berth_id_valid(const char *id)
{
    return id && strlen(id) == BERTH_ID_LEN && hex24(id);
}

bool berth_execution_id_valid(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n < 26 || n > 44 || !hex24(id) || id[24] != '@')
        return false;
    for (const char *p = id + 25; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    return true;
}

int berth_execution_id_make(const char *policy, int64_t epoch, char out[BERTH_EXEC_ID_SIZE])
{
    if (!berth_id_valid(policy) || epoch < 0)
        return BERTH_EINVAL;
    snprintf(out, BERTH_EXEC_ID_SIZE, "%s@%" PRId64, policy, epoch);
    return 0;
}

int berth_execution_id_split(const char *id, char policy[25], int64_t *epoch)
{
    if (!berth_execution_id_valid(id))
        return BERTH_EINVAL;
    errno = 0;
    long long e = strtoll(id + 25, NULL, 10);
    if (errno == ERANGE)
        return BERTH_EINVAL;
    if (policy) {
        memcpy(policy, id, BERTH_ID_LEN);
        policy[BERTH_ID_LEN] = '\0';
    }
    if (epoch)
        *epoch = (int64_t)e;
    return 0;
}
