/* The Kraken driver (Harbor's preheat/provider/kraken.go, spec harbor-jobs §11.3): one
 * registry "push" notification to `<endpoint>/registry/notifications`; any 2xx means the
 * preheat is done (Kraken pulls the image itself), so there is nothing to poll. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "berth/error.h"
#include "jobs/preheat_driver.h"

#define NOTIFY_PATH "/registry/notifications"
#define SCHEMA2 "application/vnd.docker.distribution.manifest.v2+json"

/* Harbor's utils.GenerateRandomString: 32 characters of [a-zA-Z0-9]. */
static void event_id(char out[33])
{
    static const char set[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    unsigned char r[32] = {0};
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
        for (int i = 0; i < 32; i++)
            r[i] = (unsigned char)(rand() & 0xff);
    for (int i = 0; i < 32; i++)
        out[i] = set[r[i] % (sizeof set - 1)];
    out[32] = '\0';
}

/* Now in UTC as Go marshals a time.Time: RFC 3339 with nanoseconds, trailing zeros cut. */
static void now_rfc3339nano(char *out, size_t outlen)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char frac[16] = "";
    if (ts.tv_nsec) {
        snprintf(frac, sizeof frac, ".%09ld", ts.tv_nsec);
        for (size_t k = strlen(frac); frac[k - 1] == '0'; k--)
            frac[k - 1] = '\0';
    }
    snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

static int kr_preheat(const ph_client *c, const ph_params *p, ph_status *st, char *err,
                      size_t errlen)
{
    char id[33], ts[48], url[4096];
    event_id(id);
    now_rfc3339nano(ts, sizeof ts);
    json_t *n = json_pack("{s:[{s:s,s:s,s:s,s:{s:s,s:s,s:s,s:s,s:s},s:n,s:n}]}", "Events", "Id",
                          id, "TimeStamp", ts, "Action", "push", "Target", "MediaType", SCHEMA2,
                          "Digest", p->image.digest, "Repository", p->image.image, "Url",
                          p->image.url, "Tag", p->image.tag, "Request", "Actor");
    char *body = json_dumps(n, JSON_COMPACT);
    json_decref(n);
    ph_endpoint_url(&p->provider, NOTIFY_PATH, url, sizeof url);
    buf reply;
    int rc = ph_client_call(c, url, body, &reply, err, errlen);
    free(body);
    buf_free(&reply);
    snprintf(st->task_id, sizeof st->task_id, "%s", id);
    st->status = PH_SUCCESS;
    return rc;
}

/* Harbor's Kraken driver answers success without asking (a TODO upstream). */
static int kr_check(const ph_client *c, const ph_params *p, const char *task_id, ph_status *st,
                    char *err, size_t errlen)
{
    (void)c, (void)p, (void)err, (void)errlen;
    snprintf(st->task_id, sizeof st->task_id, "%s", task_id);
    st->status = PH_SUCCESS;
    return 0;
}

const ph_driver ph_kraken = {.vendor = "kraken", .health_path = "/health",
                             .preheat = kr_preheat, .check = kr_check};
