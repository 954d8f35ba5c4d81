/* libFuzzer target for berthd's config loader: any bytes as the YAML file through
 * config_load_string (the libyaml tree and its table-driven walk, defaults, validation,
 * the Redis URL parser), with and without a few JOB_SERVICE_* overrides; and the first
 * line alone through config_parse_redis_url.
 *
 * Checks beyond sanitizer reports: a failure is BERTH_ECONFIG with exactly one non-empty
 * line; a success has every documented invariant (strings non-NULL, ranges applied) and
 * config_free leaves a zeroed struct; a Redis URL error never repeats a password. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth/error.h"
#include "fuzz_check.h"
#include "server/config.h"

static void check_loaded(const berth_config *c)
{
    CHECK(c->protocol && c->pool.backend && c->pool.redis_url && c->pool.ns && c->data_dir);
    CHECK(c->listen_address && c->embedded_redis.server_path && c->embedded_redis.appendfsync);
    CHECK(c->port >= 1 && c->port <= 65535);
    CHECK(c->pool.workers >= 1 && c->pool.workers <= 10000);
    CHECK(c->lease_seconds >= 1 && c->lease_seconds <= 3600);
    CHECK(c->max_update_hours >= 24 && c->max_dangling_hours >= 168);
    CHECK(c->njob_loggers >= 1 && c->nloggers >= 1);
    CHECK(c->nwarnings <= 64);
    for (size_t i = 0; i < c->nwarnings; i++)
        CHECK(c->warnings[i] && !strchr(c->warnings[i], '\n'));
}

static void load(const char *yaml, size_t len, const char *const *envp)
{
    berth_config cfg;
    char err[512];
    memset(err, 'X', sizeof err);
    int rc = config_load_string(yaml, len, envp, &cfg, err, sizeof err);
    if (rc != 0) {
        CHECK(rc == BERTH_ECONFIG);
        CHECK(memchr(err, '\0', sizeof err) != NULL && err[0] != '\0');
        CHECK(strchr(err, '\n') == NULL);
    } else {
        check_loaded(&cfg);
    }
    config_free(&cfg);
    CHECK(cfg.protocol == NULL && cfg.warnings == NULL);
}

static void redis_url(const char *line)
{
    config_redis_addr a;
    char err[256];
    if (config_parse_redis_url(line, &a, err, sizeof err) == 0) {
        CHECK(a.kind != CONFIG_REDIS_NONE);
        config_redis_addr_free(&a);
    } else {
        CHECK(err[0] != '\0' && strchr(err, '\n') == NULL);
    }
    /* the same text behind a known password: no message may repeat the password */
    static const char *const pre[] = {"redis://u:S3CRETPW@", "redis+sentinel://:S3CRETPW@",
                                      "unix://:S3CRETPW@"};
    for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++) {
        size_t n = strlen(pre[i]) + strlen(line) + 1;
        char *url = malloc(n);
        snprintf(url, n, "%s%s", pre[i], line);
        if (config_parse_redis_url(url, &a, err, sizeof err) == 0)
            config_redis_addr_free(&a);
        else if (!strstr(line, "S3CRETPW"))
            CHECK(strstr(err, "S3CRETPW") == NULL);
        free(url);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16)
        return 0;
    char *text = fuzz_text(data, size);
    load(text, size, NULL);
    static const char *const env[] = {"JOB_SERVICE_PORT=8080", "JOB_SERVICE_POOL_WORKERS=3",
                                      "JOB_SERVICE_POOL_REDIS_NAMESPACE=fz", NULL};
    if (size % 3 == 0)
        load(text, size, env);
    text[strcspn(text, "\n")] = '\0';
    redis_url(text);
    free(text);
    return 0;
}
