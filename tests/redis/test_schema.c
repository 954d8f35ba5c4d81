/* The Redis layout version ({ns}:berth:schema, docs/redis-schema.md, docs/operations.md)
 * on a real redis-server: a fresh namespace gets this Berth's version at start; a namespace
 * written by a newer Berth is refused with BERTH_ESCHEMA and a log line naming both
 * versions, and nothing is written (no known_jobs, the key unchanged); the same version
 * starts again. */
#include "test.h"

#include <hiredis/hiredis.h>

#include "berth/berth.h"
#include "engine_fixture.h"
#include "redis_fixture.h"

static redis_fixture rf;
static char logged[1024];

static void capture(berth_log_level lvl, const char *file, int line, const char *msg, void *ud)
{
    (void)file, (void)line, (void)ud;
    if (lvl >= BERTH_LOG_ERROR)
        snprintf(logged, sizeof logged, "%s", msg);
}

static int start_engine(void)
{
    berth_engine_config cfg = engine_fixture_config(&rf);
    cfg.log = capture;
    cfg.log_level = BERTH_LOG_DEBUG;
    berth_engine *e = engine_fixture_new(
        &cfg, (berth_job_type[]){{.name = "NOOP", .run = engine_fixture_noop}, {0}});
    int rc = berth_engine_start(e);
    berth_engine_free(e);
    return rc;
}

static void get_schema(char *out, size_t len)
{
    redisContext *c = redisConnectUnix(rf.sock);
    redisReply *r = redisCommand(c, "GET {t}:berth:schema");
    snprintf(out, len, "%s", r && r->type == REDIS_REPLY_STRING ? r->str : "(nil)");
    freeReplyObject(r);
    redisFree(c);
}

static void test_fresh_then_newer(void **state)
{
    (void)state;
    char v[32];
    assert_int_equal(start_engine(), 0);
    get_schema(v, sizeof v);
    assert_string_equal(v, "2");                 /* written on a fresh namespace */
    assert_int_equal(start_engine(), 0);          /* and accepted again */

    /* layout 1 (Harbor's field names) is read as it is: raised to 2, nothing migrated */
    redis_fixture_flush(&rf);
    redis_fixture_int(&rf, "SET {t}:berth:schema 1");
    assert_int_equal(start_engine(), 0);
    get_schema(v, sizeof v);
    assert_string_equal(v, "2");

    redis_fixture_flush(&rf);
    redis_fixture_int(&rf, "SET {t}:berth:schema 3");
    logged[0] = '\0';
    assert_int_equal(start_engine(), BERTH_ESCHEMA);
    assert_non_null(strstr(logged, "layout version 3, this Berth writes version 2"));
    assert_non_null(strstr(logged, "refusing to start"));
    get_schema(v, sizeof v);
    assert_string_equal(v, "3");                 /* unchanged */
    assert_int_equal(redis_fixture_int(&rf, "EXISTS {t}:berth:stats_ttl"), 0);
    assert_int_equal(redis_fixture_int(&rf, "EXISTS {t}:known_jobs"), 0);
    assert_non_null(strstr(berth_strerror(BERTH_ESCHEMA), "newer Berth"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fresh_then_newer),
    };
    return REDIS_FIXTURE_RUN(&rf, tests);
}
