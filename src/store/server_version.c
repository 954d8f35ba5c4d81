/* Redis server version check; see server_version.h. */
#include "store/server_version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One decimal component of at most 5 digits; *p moves past it. */
static int component(const char **p, int *out)
{
    const char *s = *p;
    int n = 0, digits = 0;
    while (*s >= '0' && *s <= '9' && digits < 5) {
        n = n * 10 + (*s++ - '0');
        digits++;
    }
    if (digits == 0 || (*s >= '0' && *s <= '9'))
        return BERTH_EINVAL;
    *out = n;
    *p = s;
    return 0;
}

int rserver_version_parse(const char *info, int v[3])
{
    static const char field[] = "redis_version:";
    const char *p = info;
    /* The field starts a line; "xredis_version:" or a value mentioning it must not match. */
    while (p && (p = strstr(p, field)) && p != info && p[-1] != '\n')
        p += sizeof field - 1;
    if (!p)
        return BERTH_EINVAL;
    p += sizeof field - 1;
    v[0] = v[1] = v[2] = 0;
    for (int i = 0; i < 3; i++) {
        if (component(&p, &v[i]) != 0)
            return BERTH_EINVAL;
        if (*p != '.')
            break;
        p++;
    }
    return *p == '\r' || *p == '\n' || *p == '\0' || *p == '-' ? 0 : BERTH_EINVAL;
}

int rserver_version_check(rconn *rc, char *msg, size_t msglen)
{
    rreply *r = rconn_read(rc, "INFO server");
    const char *info = NULL;
    int err = rreply_string(rc, r, &info, NULL) == 0 ? 0 : BERTH_EREDIS;
    int v[3];
    if (!err && rserver_version_parse(info, v) != 0) {
        snprintf(msg, msglen, "the Redis server does not report redis_version in INFO server; "
                 "Berth needs Redis " RSERVER_MIN_TEXT " or newer (" RSERVER_NEEDS ")");
        err = BERTH_EVERSION;
    } else if (!err && (v[0] < RSERVER_MIN_MAJOR ||
                        (v[0] == RSERVER_MIN_MAJOR && v[1] < RSERVER_MIN_MINOR))) {
        snprintf(msg, msglen, "Redis %d.%d.%d is too old: Berth needs Redis " RSERVER_MIN_TEXT
                 " or newer (" RSERVER_NEEDS ")", v[0], v[1], v[2]);
        err = BERTH_EVERSION;
    } else if (!err && rc->target.nnodes > 0 && v[0] < RSERVER_CLUSTER_MIN_MAJOR) {
        snprintf(msg, msglen, "Redis %d.%d.%d is too old for a Redis Cluster: Berth needs "
                 "Redis %d.0 or newer there (" RSERVER_CLUSTER_NEEDS ")", v[0], v[1], v[2],
                 RSERVER_CLUSTER_MIN_MAJOR);
        err = BERTH_EVERSION;
    }
    rreply_free(r);
    return err;
}
