/* Parsing worker_pool.redis_pool.redis_url into the parts a connection needs (config.h).
 *
 * Forms (spec §10.1, plus Berth's unix://):
 *   redis://[user:pass@]host[:port][/db]            port 6379
 *   rediss://…                                      the same over TLS
 *   redis+sentinel://[user:pass@]h1[:p1],h2[:p2]/master[/db]    ports 26379
 *   rediss+sentinel://…
 *   redis+cluster://[user:pass@]h1[:p1],h2[:p2][/]           ports 6379 (Berth's: seed nodes of
 *                                                            a Redis Cluster; database 0 only)
 *   unix://[:pass@]/path/to.sock
 * each with an optional query: idle_timeout_seconds=N (Harbor's), db=N, password=P; other
 * query keys are ignored, as Go's Redis clients ignore them. User and password are
 * percent-decoded as Go's url.Parse does. Messages never quote the URL, which may hold a
 * password. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth/error.h"
#include "server/config_internal.h"
#include "util/alloc.h"
#include "util/hex.h"

static const struct {
    const char *prefix;
    config_redis_kind kind;
    bool tls;
} schemes[] = {
    {"redis://", CONFIG_REDIS_TCP, false},
    {"rediss://", CONFIG_REDIS_TCP, true},
    {"redis+sentinel://", CONFIG_REDIS_SENTINEL, false},
    {"rediss+sentinel://", CONFIG_REDIS_SENTINEL, true},
    {"redis+cluster://", CONFIG_REDIS_CLUSTER, false},
    {"rediss+cluster://", CONFIG_REDIS_CLUSTER, true},
    {"unix://", CONFIG_REDIS_UNIX, false},
};

/* Decimal 0..max in s[0..n), nothing else. */
static bool parse_num(const char *s, size_t n, int max, int *out)
{
    if (n == 0 || n > 10)
        return false;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    if (v > max)
        return false;
    *out = (int)v;
    return true;
}

/* Percent-decodes s[0..n) into a new string, or NULL if an escape is malformed. */
static char *pct_decode(const char *s, size_t n)
{
    char *out = berth_malloc(n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] != '%') {
            *o++ = s[i];
        } else if (i + 2 < n && (hi = hex_digit((unsigned char)s[i + 1])) >= 0 &&
                   (lo = hex_digit((unsigned char)s[i + 2])) >= 0) {
            *o++ = (char)(hi * 16 + lo);
            i += 2;
        } else {
            berth_free(out);
            return NULL;
        }
    }
    *o = '\0';
    return out;
}

static int userinfo(const char *s, size_t n, config_redis_addr *a, char *err, size_t errlen)
{
    const char *colon = memchr(s, ':', n);
    size_t ulen = colon ? (size_t)(colon - s) : n;
    if (ulen > 0 && !(a->username = pct_decode(s, ulen)))
        return config_fail(err, errlen, "bad percent-encoding in the user name");
    if (colon && !(a->password = pct_decode(colon + 1, n - ulen - 1)))
        return config_fail(err, errlen, "bad percent-encoding in the password");
    return 0;
}

/* One "host", "host:port" or "[v6]:port" of s[0..n). */
static int hostport(const char *s, size_t n, int dflt, config_hostport *h, char *err,
                    size_t errlen)
{
    const char *host = s, *port = NULL;
    size_t hlen = n;
    if (n > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close)
            return config_fail(err, errlen, "unterminated [ in an IPv6 host");
        host = s + 1;
        hlen = (size_t)(close - s - 1);
        if (close + 1 < s + n && close[1] == ':')
            port = close + 2;
        else if (close + 1 != s + n)
            return config_fail(err, errlen, "unexpected text after an IPv6 host");
    } else if ((port = memchr(s, ':', n))) {
        hlen = (size_t)(port - s);
        port++;
    }
    if (hlen == 0)
        return config_fail(err, errlen, "missing host");
    /* The port text is not quoted back: in "redis://user:secret" (the "@host" forgotten)
     * it is the password. */
    h->port = dflt;
    if (port && (!parse_num(port, (size_t)(s + n - port), 65535, &h->port) || h->port == 0))
        return config_fail(err, errlen, "invalid port (must be a number in 1..65535)");
    h->host = berth_strndup(host, hlen);
    return 0;
}

static int hosts(const char *s, size_t n, config_redis_addr *a, char *err, size_t errlen)
{
    bool sentinel = a->kind == CONFIG_REDIS_SENTINEL;
    size_t count = 1;
    for (size_t i = 0; i < n; i++)
        count += s[i] == ',';
    if (count > 1 && !sentinel && a->kind != CONFIG_REDIS_CLUSTER)
        return config_fail(err, errlen, "several hosts need redis+sentinel:// or redis+cluster://");
    if (count > CONFIG_MAX_SENTINELS)
        return config_fail(err, errlen, "more than %d %s hosts", CONFIG_MAX_SENTINELS,
                           sentinel ? "sentinel" : "cluster");
    a->hosts = berth_calloc(count, sizeof *a->hosts);
    for (const char *p = s, *end = s + n; a->nhosts < count; a->nhosts++) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        int rc = hostport(p, (size_t)(stop - p), sentinel ? 26379 : 6379,
                          &a->hosts[a->nhosts], err, errlen);
        if (rc != 0)
            return rc;
        p = stop + 1;
    }
    return 0;
}

/* The path after the hosts: "", "/" or "/db" (TCP); "/master[/db]" (sentinel). */
static int url_path(const char *s, size_t n, config_redis_addr *a, char *err, size_t errlen)
{
    if (n > 0 && s[0] == '/')
        s++, n--;
    if (a->kind == CONFIG_REDIS_SENTINEL) {
        const char *slash = memchr(s, '/', n);
        size_t mlen = slash ? (size_t)(slash - s) : n;
        if (mlen == 0)
            return config_fail(err, errlen, "missing the master name "
                                            "(redis+sentinel://host:port/<master>[/db])");
        a->master = berth_strndup(s, mlen);
        s += mlen, n -= mlen;
        if (n > 0)
            s++, n--;
    }
    if (n > 0 && !parse_num(s, n, INT_MAX, &a->db))
        return config_fail(err, errlen, "invalid database number \"%.*s\"", (int)n, s);
    return 0;
}

/* After the query too (?db=N): a Redis Cluster has database 0 only. */
static int cluster_db(const config_redis_addr *a, char *err, size_t errlen)
{
    if (a->kind == CONFIG_REDIS_CLUSTER && a->db != 0)
        return config_fail(err, errlen, "a Redis Cluster has database 0 only (redis+cluster://"
                                        "h1:p1,h2:p2/)");
    return 0;
}

static int query_pair(const char *k, size_t kn, const char *v, size_t vn,
                      config_redis_addr *a, char *err, size_t errlen)
{
    if (kn == 20 && memcmp(k, "idle_timeout_seconds", kn) == 0) {
        if (!parse_num(v, vn, INT_MAX, &a->idle_timeout_seconds))
            return config_fail(err, errlen, "idle_timeout_seconds must be a non-negative "
                                            "integer");
    } else if (kn == 2 && memcmp(k, "db", 2) == 0) {
        if (!parse_num(v, vn, INT_MAX, &a->db))
            return config_fail(err, errlen, "invalid database number \"%.*s\"", (int)vn, v);
    } else if (kn == 8 && memcmp(k, "password", 8) == 0) {
        berth_free(a->password);
        if (!(a->password = pct_decode(v, vn)))
            return config_fail(err, errlen, "bad percent-encoding in the password");
    }
    return 0;
}

static int query(const char *s, config_redis_addr *a, char *err, size_t errlen)
{
    while (*s) {
        size_t len = strcspn(s, "&");
        const char *eq = memchr(s, '=', len);
        size_t kn = eq ? (size_t)(eq - s) : len;
        const char *v = eq ? eq + 1 : s + len;
        int rc = query_pair(s, kn, v, (size_t)(s + len - v), a, err, errlen);
        if (rc != 0)
            return rc;
        s += len + (s[len] == '&');
    }
    return 0;
}

/* s[0..n) is everything between "://" and the query: [userinfo@]hosts[/path]. */
static int parse_net(const char *s, size_t n, config_redis_addr *a, char *err, size_t errlen)
{
    const char *slash = memchr(s, '/', n);
    size_t alen = slash ? (size_t)(slash - s) : n;
    const char *at = memrchr(s, '@', alen);
    const char *h = s;
    if (at) {
        int rc = userinfo(s, (size_t)(at - s), a, err, errlen);
        if (rc != 0)
            return rc;
        h = at + 1;
    }
    int rc = hosts(h, (size_t)(s + alen - h), a, err, errlen);
    return rc ? rc : url_path(s + alen, n - alen, a, err, errlen);
}

/* s[0..n) is [userinfo@]path; the userinfo ends before the path's first '/'. */
static int parse_unix(const char *s, size_t n, config_redis_addr *a, char *err,
                      size_t errlen)
{
    const char *slash = memchr(s, '/', n);
    const char *at = memrchr(s, '@', slash ? (size_t)(slash - s) : n);
    if (at) {
        int rc = userinfo(s, (size_t)(at - s), a, err, errlen);
        if (rc != 0)
            return rc;
        n -= (size_t)(at + 1 - s);
        s = at + 1;
    }
    if (n == 0)
        return config_fail(err, errlen, "missing the socket path (unix:///path/to/redis.sock)");
    a->path = berth_strndup(s, n);
    return 0;
}

int config_parse_redis_url(const char *url, config_redis_addr *out, char *err,
                           size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->idle_timeout_seconds = -1;
    size_t i = 0, ns = sizeof schemes / sizeof schemes[0];
    while (i < ns && strncmp(url, schemes[i].prefix, strlen(schemes[i].prefix)) != 0)
        i++;
    if (i == ns) {
        const char *sep = strstr(url, "://");
        if (!sep)
            return config_fail(err, errlen, "missing scheme (use redis://host:port)");
        return config_fail(err, errlen,
                           "unsupported scheme \"%.*s\" (use redis://, rediss://, "
                           "redis+sentinel://, rediss+sentinel://, redis+cluster:// or unix://)",
                           (int)(sep - url) > 32 ? 32 : (int)(sep - url), url);
    }
    out->kind = schemes[i].kind;
    out->tls = schemes[i].tls;
    const char *s = url + strlen(schemes[i].prefix);
    size_t n = strcspn(s, "?#");
    const char *q = s[n] == '?' ? s + n + 1 : "";
    char *qcopy = berth_strndup(q, strcspn(q, "#"));
    int rc = 0;
    if (out->kind == CONFIG_REDIS_UNIX)
        rc = parse_unix(s, n, out, err, errlen);
    else
        rc = parse_net(s, n, out, err, errlen);
    if (rc == 0)
        rc = query(qcopy, out, err, errlen);
    if (rc == 0)
        rc = cluster_db(out, err, errlen);
    berth_free(qcopy);
    if (rc != 0)
        config_redis_addr_free(out);
    return rc;
}

void config_redis_addr_free(config_redis_addr *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->nhosts; i++)
        berth_free(a->hosts[i].host);
    berth_free(a->hosts);
    berth_free(a->username);
    berth_free(a->password);
    berth_free(a->master);
    berth_free(a->path);
    memset(a, 0, sizeof *a);
}
