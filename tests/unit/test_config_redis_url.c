/* Unit tests for config_parse_redis_url (src/server/config_redis_url.c): every scheme,
 * defaults, user/password decoding, sentinel lists, unix sockets, query keys, and the error
 * texts (which must never contain the password). */
#include "test.h"

#include "berth/error.h"
#include "server/config.h"

static char err[256];
static config_redis_addr a;

static int parse(const char *url)
{
    err[0] = '\0';
    config_redis_addr_free(&a);
    return config_parse_redis_url(url, &a, err, sizeof err);
}

static void expect_error(const char *url, const char *msg)
{
    int rc = parse(url);
    if (rc != BERTH_ECONFIG || strcmp(err, msg) != 0)
        print_error("url %s\nwant: %s\ngot:  rc %d, %s\n", url, msg, rc, err);
    assert_int_equal(rc, BERTH_ECONFIG);
    assert_string_equal(err, msg);
    assert_int_equal(a.kind, CONFIG_REDIS_NONE); /* zeroed on failure */
    assert_null(a.hosts);
}

static int teardown(void **state)
{
    (void)state;
    config_redis_addr_free(&a);
    return 0;
}

static void test_plain(void **state)
{
    (void)state;
    assert_int_equal(parse("redis://redis:6379/2"), 0);
    assert_int_equal(a.kind, CONFIG_REDIS_TCP);
    assert_false(a.tls);
    assert_int_equal(a.nhosts, 1);
    assert_string_equal(a.hosts[0].host, "redis");
    assert_int_equal(a.hosts[0].port, 6379);
    assert_int_equal(a.db, 2);
    assert_null(a.username);
    assert_null(a.password);
    assert_null(a.master);
    assert_null(a.path);
    assert_int_equal(a.idle_timeout_seconds, -1);

    assert_int_equal(parse("redis://10.0.0.5"), 0);
    assert_string_equal(a.hosts[0].host, "10.0.0.5");
    assert_int_equal(a.hosts[0].port, 6379); /* default port */
    assert_int_equal(a.db, 0);
    assert_int_equal(parse("redis://h:7000/"), 0);
    assert_int_equal(a.hosts[0].port, 7000);
    assert_int_equal(a.db, 0);
}

static void test_tls_and_auth(void **state)
{
    (void)state;
    assert_int_equal(parse("rediss://user:p%40ss%3Aw@cache.example:6380/3"), 0);
    assert_int_equal(a.kind, CONFIG_REDIS_TCP);
    assert_true(a.tls);
    assert_string_equal(a.username, "user");
    assert_string_equal(a.password, "p@ss:w"); /* percent-decoded */
    assert_string_equal(a.hosts[0].host, "cache.example");
    assert_int_equal(a.hosts[0].port, 6380);
    assert_int_equal(a.db, 3);

    assert_int_equal(parse("redis://:secret@h"), 0); /* password only, as Harbor writes it */
    assert_null(a.username);
    assert_string_equal(a.password, "secret");
    assert_int_equal(parse("redis://a@b:c@h"), 0); /* the last @ ends the user info */
    assert_string_equal(a.username, "a@b");
    assert_string_equal(a.password, "c");
    assert_string_equal(a.hosts[0].host, "h");
}

static void test_ipv6(void **state)
{
    (void)state;
    assert_int_equal(parse("redis://[::1]:6390/1"), 0);
    assert_string_equal(a.hosts[0].host, "::1");
    assert_int_equal(a.hosts[0].port, 6390);
    assert_int_equal(a.db, 1);
    assert_int_equal(parse("redis://[fe80::2]"), 0);
    assert_string_equal(a.hosts[0].host, "fe80::2");
    assert_int_equal(a.hosts[0].port, 6379);
}

static void test_sentinel(void **state)
{
    (void)state;
    assert_int_equal(parse("redis+sentinel://:pw@s1:26380,s2,[::2]:26381/mymaster/4"
                           "?idle_timeout_seconds=30"),
                     0);
    assert_int_equal(a.kind, CONFIG_REDIS_SENTINEL);
    assert_false(a.tls);
    assert_string_equal(a.password, "pw");
    assert_int_equal(a.nhosts, 3);
    assert_string_equal(a.hosts[0].host, "s1");
    assert_int_equal(a.hosts[0].port, 26380);
    assert_string_equal(a.hosts[1].host, "s2");
    assert_int_equal(a.hosts[1].port, 26379); /* sentinel default port */
    assert_string_equal(a.hosts[2].host, "::2");
    assert_int_equal(a.hosts[2].port, 26381);
    assert_string_equal(a.master, "mymaster");
    assert_int_equal(a.db, 4);
    assert_int_equal(a.idle_timeout_seconds, 30);

    assert_int_equal(parse("rediss+sentinel://s1/m"), 0);
    assert_true(a.tls);
    assert_string_equal(a.master, "m");
    assert_int_equal(a.db, 0);
}

/* Berth's redis+cluster://: seed nodes of a Redis Cluster, default port 6379. */
static void test_cluster(void **state)
{
    (void)state;
    assert_int_equal(parse("redis+cluster://:pw@n1:7000,n2,[::3]:7002/"), 0);
    assert_int_equal(a.kind, CONFIG_REDIS_CLUSTER);
    assert_false(a.tls);
    assert_string_equal(a.password, "pw");
    assert_int_equal(a.nhosts, 3);
    assert_string_equal(a.hosts[0].host, "n1");
    assert_int_equal(a.hosts[0].port, 7000);
    assert_string_equal(a.hosts[1].host, "n2");
    assert_int_equal(a.hosts[1].port, 6379);
    assert_string_equal(a.hosts[2].host, "::3");
    assert_int_equal(a.hosts[2].port, 7002);
    assert_null(a.master);
    assert_int_equal(a.db, 0);
    assert_int_equal(parse("redis+cluster://n1/0"), 0);
    assert_int_equal(a.nhosts, 1);
    assert_int_equal(parse("rediss+cluster://n1"), 0);
    assert_true(a.tls);
}

static void test_unix(void **state)
{
    (void)state;
    assert_int_equal(parse("unix:///var/lib/berth/redis.sock"), 0);
    assert_int_equal(a.kind, CONFIG_REDIS_UNIX);
    assert_string_equal(a.path, "/var/lib/berth/redis.sock");
    assert_int_equal(a.nhosts, 0);
    assert_int_equal(a.db, 0);
    assert_int_equal(parse("unix://:pw@/run/r.sock?db=5&password=other"), 0);
    assert_string_equal(a.path, "/run/r.sock");
    assert_int_equal(a.db, 5);
    assert_string_equal(a.password, "other"); /* the query's password wins */
    assert_int_equal(parse("unix://./data/redis.sock"), 0);
    assert_string_equal(a.path, "./data/redis.sock");
}

static void test_query(void **state)
{
    (void)state;
    assert_int_equal(parse("redis://h/1?foo=bar&idle_timeout_seconds=0&db=7#frag"), 0);
    assert_int_equal(a.idle_timeout_seconds, 0);
    assert_int_equal(a.db, 7); /* the query's db wins over the path's */
    assert_int_equal(parse("redis://h?idle_timeout_seconds=120"), 0);
    assert_int_equal(a.idle_timeout_seconds, 120);
    assert_string_equal(a.hosts[0].host, "h");
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("http://h:6379", "unsupported scheme \"http\" (use redis://, rediss://, "
                                  "redis+sentinel://, rediss+sentinel://, redis+cluster:// or unix://)");
    expect_error("redis-host:6379", "missing scheme (use redis://host:port)");
    expect_error("", "missing scheme (use redis://host:port)");
    expect_error("redis://", "missing host");
    expect_error("redis://:pw@/0", "missing host");
    expect_error("redis://h:notaport", "invalid port (must be a number in 1..65535)");
    expect_error("redis://h:65536", "invalid port (must be a number in 1..65535)");
    expect_error("redis://h:0", "invalid port (must be a number in 1..65535)");
    expect_error("redis://h:", "invalid port (must be a number in 1..65535)");
    expect_error("redis://h/db1", "invalid database number \"db1\"");
    expect_error("redis://h/1/2", "invalid database number \"1/2\"");
    expect_error("redis://h1,h2", "several hosts need redis+sentinel:// or redis+cluster://");
    expect_error("redis+cluster://h1,h2/3", "a Redis Cluster has database 0 only "
                                            "(redis+cluster://h1:p1,h2:p2/)");
    expect_error("redis+cluster://h1?db=1", "a Redis Cluster has database 0 only "
                                            "(redis+cluster://h1:p1,h2:p2/)");
    expect_error("redis+cluster://h1,,h2", "missing host");
    expect_error("redis+cluster://h1:0", "invalid port (must be a number in 1..65535)");
    expect_error("redis+sentinel://s1,s2", "missing the master name "
                                           "(redis+sentinel://host:port/<master>[/db])");
    expect_error("redis+sentinel://s1,,s2/m", "missing host");
    expect_error("redis+sentinel://s1/m/x", "invalid database number \"x\"");
    expect_error("redis://[::1:6379", "unterminated [ in an IPv6 host");
    expect_error("redis://[::1]x", "unexpected text after an IPv6 host");
    expect_error("redis://h?idle_timeout_seconds=-1",
                 "idle_timeout_seconds must be a non-negative integer");
    expect_error("redis://h?db=x", "invalid database number \"x\"");
    expect_error("unix://", "missing the socket path (unix:///path/to/redis.sock)");
    expect_error("unix://:pw@", "missing the socket path (unix:///path/to/redis.sock)");
    expect_error("redis://u:bad%zzpass@h", "bad percent-encoding in the password");
    expect_error("redis://b%4@h", "bad percent-encoding in the user name");
}

static void test_error_hides_password(void **state)
{
    (void)state;
    assert_int_equal(parse("redis://:hunter2@h:99999"), BERTH_ECONFIG);
    assert_null(strstr(err, "hunter2"));
    assert_int_equal(parse("redis://user:hunter2"), BERTH_ECONFIG); /* "@host" forgotten */
    assert_null(strstr(err, "hunter2"));
    assert_int_equal(parse("redis+sentinel://:hunter2@s1"), BERTH_ECONFIG);
    assert_null(strstr(err, "hunter2"));
}

static void test_free_calls(void **state)
{
    (void)state;
    config_redis_addr_free(NULL);
    config_redis_addr z;
    memset(&z, 0, sizeof z);
    config_redis_addr_free(&z);
    assert_int_equal(parse("redis+sentinel://a,b/m"), 0);
    config_redis_addr_free(&a);
    assert_null(a.hosts);
    assert_int_equal(a.nhosts, 0);
    config_redis_addr_free(&a); /* twice is fine */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_plain, teardown),
        cmocka_unit_test_teardown(test_tls_and_auth, teardown),
        cmocka_unit_test_teardown(test_ipv6, teardown),
        cmocka_unit_test_teardown(test_sentinel, teardown),
        cmocka_unit_test_teardown(test_cluster, teardown),
        cmocka_unit_test_teardown(test_unix, teardown),
        cmocka_unit_test_teardown(test_query, teardown),
        cmocka_unit_test_teardown(test_errors, teardown),
        cmocka_unit_test_teardown(test_error_hides_password, teardown),
        cmocka_unit_test_teardown(test_free_calls, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
