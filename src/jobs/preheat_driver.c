/* See preheat_driver.h: driver lookup and Harbor's status text. */
#include "jobs/preheat_driver.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

const ph_driver *ph_driver_find(const char *vendor)
{
    if (strcmp(vendor, ph_dragonfly.vendor) == 0)
        return &ph_dragonfly;
    if (strcmp(vendor, ph_kraken.vendor) == 0)
        return &ph_kraken;
    return NULL;
}

void ph_status_init(ph_status *st)
{
    memset(st, 0, sizeof *st);
    st->status = PH_PENDING;
    /* no cap: message and error are cut from one reply (REPLY_CAP) */
    buf_init(&st->message, 0);
    buf_init(&st->error, 0);
}

void ph_status_free(ph_status *st)
{
    buf_free(&st->message);
    buf_free(&st->error);
}

void ph_endpoint_url(const ph_provider *p, const char *path, char *out, size_t outlen)
{
    size_t n = strlen(p->endpoint);
    if (n && p->endpoint[n - 1] == '/')
        n--;
    snprintf(out, outlen, "%.*s%s", (int)n, p->endpoint, path);
}

void ph_go_duration(long long ms, char *out, size_t outlen)
{
    const char *sign = ms < 0 ? "-" : "";
    unsigned long long a = ms < 0 ? (unsigned long long)-ms : (unsigned long long)ms;
    if (a == 0) {
        snprintf(out, outlen, "0s");
    } else if (a < 1000) {
        snprintf(out, outlen, "%s%llums", sign, a);
    } else {
        unsigned long long h = a / 3600000, m = a / 60000 % 60, s = a / 1000 % 60, f = a % 1000;
        char frac[8] = "";
        if (f) {
            snprintf(frac, sizeof frac, ".%03llu", f);
            for (size_t k = strlen(frac); frac[k - 1] == '0'; k--)
                frac[k - 1] = '\0';
        }
        char hs[32] = "", msb[32] = "";
        if (h)
            snprintf(hs, sizeof hs, "%lluh", h);
        if (h || m)
            snprintf(msb, sizeof msb, "%llum", m);
        snprintf(out, outlen, "%s%s%s%llu%ss", sign, hs, msb, s, frac);
    }
}

/* Seconds since the epoch of an RFC 3339 time; false when it is not one. */
static bool rfc3339_epoch(const char *s, long long *out)
{
    struct tm tm = {0};
    int off_h = 0, off_m = 0, n = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
        return false;
    const char *z = s + n;
    while (*z == '.' || isdigit((unsigned char)*z))
        z++;
    long long sign = 0;
    if (*z == 'Z' && !z[1])
        sign = 0;
    else if ((*z == '+' || *z == '-') && sscanf(z + 1, "%2d:%2d", &off_h, &off_m) == 2)
        sign = *z == '+' ? 1 : -1;
    else
        return false;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *out = (long long)timegm(&tm) - sign * (off_h * 3600 + off_m * 60);
    return true;
}

void ph_status_string(const ph_status *st, buf *out)
{
    char low[16];
    size_t i = 0;
    for (; st->status[i] && i + 1 < sizeof low; i++)
        low[i] = (char)tolower((unsigned char)st->status[i]);
    low[i] = '\0';
    buf_printf(out, "Task [%s] is %s", st->task_id, low);
    long long a, b;
    if (strcmp(st->status, PH_FAIL) == 0) {
        buf_printf(out, " with error: %s", st->error.p ? st->error.p : "");
    } else if (strcmp(st->status, PH_SUCCESS) == 0) {
        if (*st->start && *st->finish && rfc3339_epoch(st->start, &a) &&
            rfc3339_epoch(st->finish, &b)) {
            char d[64];
            ph_go_duration((b - a) * 1000, d, sizeof d);
            buf_printf(out, " with duration: %s", d);
        }
    } else {
        buf_printf(out, ", start time=%s", st->start);
    }
}
