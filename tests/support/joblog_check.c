/* Job-log checks; see joblog_check.h. */
#include "test.h"

#include <hiredis/hiredis.h>

#include "joblog_check.h"

int jl_count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

char *jl_key_text(redis_fixture *rf, const char *id)
{
    redisReply *r = redis_fixture_cmd(rf, "GET {t}:berth:joblog:%s", id);
    char *s = strdup(r && r->type == REDIS_REPLY_STRING ? r->str : "");
    freeReplyObject(r);
    return s;
}

bool jl_key_holds(void *arg)
{
    jl_key_has *k = arg;
    char *s = jl_key_text(k->rf, k->id);
    bool ok = s && strstr(s, k->needle) != NULL;
    free(s);
    return ok;
}

void jl_assert_lines(const char *log, const char *prefix, int last)
{
    const char *prev = log;
    for (int i = 1; i <= last; i++) {
        char want[128];
        snprintf(want, sizeof want, "]: %s %d\n", prefix, i);
        if (jl_count(log, want) != 1)
            fail_msg("line %d is there %d times in:\n%s", i, jl_count(log, want), log);
        const char *at = strstr(log, want);
        if (at < prev)
            fail_msg("line %d is out of order in:\n%s", i, log);
        prev = at;
    }
    assert_int_equal(jl_count(log, "---- run of revision "), 1);
}
