/* Engine test helpers; see engine_fixture.h. */
#include "test.h"

#include "engine_fixture.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

berth_engine_config engine_fixture_config(redis_fixture *rf)
{
    berth_engine_config c = {0};
    c.redis_unix = rf->sock;
    c.ns = "t";
    c.workers = 4;
    c.lease_ms = 1500;
    c.grace_ms = 500;
    c.backoff_scale = 0.001;
    return c;
}

void engine_fixture_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

long long engine_fixture_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void engine_fixture_status(berth_engine *e, const char *id, char *out, size_t outlen)
{
    berth_stats *s = NULL;
    out[0] = '\0';
    if (berth_engine_get_stats(e, id, &s) == 0 && s->status)
        snprintf(out, outlen, "%s", s->status);
    berth_stats_free(s);
}

int engine_fixture_wait_status(berth_engine *e, const char *id, const char *want, int timeout_ms)
{
    long long end = engine_fixture_now_ms() + timeout_ms;
    char st[32];
    do {
        engine_fixture_status(e, id, st, sizeof st);
        if (strcmp(st, want) == 0)
            return 1;
        engine_fixture_sleep_ms(10);
    } while (engine_fixture_now_ms() < end);
    fprintf(stderr, "job %s: waited for %s, status is '%s'\n", id, want, st);
    return 0;
}

char *engine_fixture_launch(berth_engine *e, const char *name)
{
    berth_stats *st = NULL;
    char err[256];
    if (berth_engine_launch(e, &(berth_launch){.name = name}, &st, err, sizeof err) != 0)
        fail_msg("launch %s: %s", name, err);
    char *id = strdup(st->id);
    berth_stats_free(st);
    return id;
}
