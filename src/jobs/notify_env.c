/* berth_jobs_http_from_env: WEBHOOK's and SLACK's settings from Harbor's environment
 * variables (spec harbor-jobs §5.3, §18), parsed with Go's strconv rules so the same value
 * is accepted or refused, with the same warning text, as by Harbor. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth/jobs.h"
#include "util/goproxy.h"

#define MAX_RETRY_ENV "JOBSERVICE_WEBHOOK_JOB_MAX_RETRY"
#define TIMEOUT_ENV "JOBSERVICE_WEBHOOK_JOB_HTTP_CLIENT_TIMEOUT"

/* Go's strconv.ParseUint / ParseInt in base 10: the error text, or NULL when v parses. */
static const char *go_parse(const char *v, bool is_signed, long long lo, long long hi,
                            long long *out)
{
    const char *d = v;
    if (is_signed && (*d == '+' || *d == '-'))
        d++;
    if (!*d || strspn(d, "0123456789") != strlen(d))
        return "invalid syntax";
    errno = 0;
    long long n = strtoll(v, NULL, 10);
    if (errno == ERANGE || n < lo || n > hi)
        return "value out of range";
    *out = n;
    return NULL;
}

static void warn_add(char *warn, size_t warnlen, const char *line)
{
    size_t used = strlen(warn);
    if (used < warnlen)
        snprintf(warn + used, warnlen - used, "%s%s", used ? "\n" : "", line);
}

static int max_retry(berth_jobs_http *cfg, char *warn, size_t warnlen)
{
    const char *v = getenv(MAX_RETRY_ENV);
    long long n = 0;
    const char *why = v ? go_parse(v, false, 0, UINT32_MAX, &n) : NULL;
    if (!v)
        return 0;
    if (!why) {
        cfg->max_fails = (unsigned)n;
        return 0;
    }
    char line[512];
    for (int i = 0; i < 2; i++) {   /* each job type warns on its own in Harbor */
        snprintf(line, sizeof line, "Fetch %s job maxFails error: strconv.ParseUint: "
                 "parsing \"%.200s\": %s", i ? "slack" : "webhook", v, why);
        warn_add(warn, warnlen, line);
    }
    return 1;
}

static int timeout(berth_jobs_http *cfg, char *warn, size_t warnlen)
{
    const char *v = getenv(TIMEOUT_ENV);
    long long n = 0;
    const char *why = v ? go_parse(v, true, LLONG_MIN, LLONG_MAX, &n) : NULL;
    if (!v)
        return 0;
    if (!why) {
        long long cap = LONG_MAX / 1000;   /* Go's Duration overflows there too */
        cfg->timeout_ms = (long)(n > cap ? cap : n < -cap ? -cap : n) * 1000;
        return 0;
    }
    char line[512];
    snprintf(line, sizeof line, "Failed to parse timeout from environment, error: "
             "strconv.ParseInt: parsing \"%.200s\": %s", v, why);
    warn_add(warn, warnlen, line);
    return 1;
}

int berth_jobs_http_from_env(berth_jobs_http *cfg, char *warn, size_t warnlen)
{
    *cfg = (berth_jobs_http){.max_fails = 3, .timeout_ms = 3000, .slack_pause_ms = 1000};
    if (warnlen)
        warn[0] = '\0';
    int n = max_retry(cfg, warn, warnlen) + timeout(cfg, warn, warnlen);
    go_proxy px;
    go_proxy_from_env(&px);
    cfg->http_proxy = px.http;
    cfg->https_proxy = px.https;
    cfg->no_proxy = px.no;
    return n;
}
