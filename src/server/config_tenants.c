/* `berth.namespaces`: the namespaces (tenants) one berthd serves besides Harbor's
 * worker_pool.redis_pool.namespace, each with its own engine (daemon.c) and its own worker
 * count. Read by the generic sequence reader (config_yaml.c, tenant_fields); this file
 * applies the default worker count and says what is wrong with a list, one line naming the
 * entry. A name is used as the Redis hash tag ("{name}:") and as the URL path segment that
 * addresses the tenant (/ns/<name>/api/v1/..., docs/api.md), so only characters that need
 * no escaping in either are allowed. Two namespaces whose hash tags fall in one cluster
 * slot are served fine, but by one master: a warning, since spreading them was likely the
 * point. */
#include <stdio.h>
#include <string.h>

#include "berth/error.h"
#include "server/config_internal.h"
#include "store/cluster.h"
#include "util/alloc.h"

#define MAX_NAME 64

void config_tenants_defaults(berth_config *cfg)
{
    for (size_t i = 0; i < cfg->ntenants; i++)
        if (cfg->tenants[i].workers == 0)
            cfg->tenants[i].workers = cfg->pool.workers;
}

static bool name_ok(const char *n)
{
    size_t len = strlen(n);
    return len > 0 && len <= MAX_NAME &&
           strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == len &&
           strcmp(n, ".") != 0 && strcmp(n, "..") != 0;
}

static int ns_slot(const char *ns)
{
    char key[MAX_NAME * 4 + 8];
    int n = snprintf(key, sizeof key, "{%s}:", ns);
    return rcluster_slot(key, n > 0 && (size_t)n < sizeof key ? (size_t)n : sizeof key - 1);
}

/* Entry i against the default namespace and the entries before it. */
static int check_one(berth_config *cfg, size_t i, char *err, size_t errlen)
{
    const config_tenant *t = &cfg->tenants[i];
    if (!name_ok(t->name))
        return config_fail(err, errlen, "berth.namespaces[%zu].name: must be 1 to %d of "
                           "A-Z a-z 0-9 _ . - (it names the Redis hash tag and the /ns/<name> "
                           "path), got \"%s\"", i, MAX_NAME, t->name);
    if (t->workers > 10000)
        return config_fail(err, errlen, "berth.namespaces[%zu].workers: must be at most "
                           "10000, got %d", i, t->workers);
    if (strcmp(t->name, cfg->pool.ns) == 0)
        return config_fail(err, errlen, "berth.namespaces[%zu].name: \"%s\" is "
                           "worker_pool.redis_pool.namespace, which is always served; list "
                           "only the other namespaces", i, t->name);
    for (size_t j = 0; j < i; j++)
        if (strcmp(cfg->tenants[j].name, t->name) == 0)
            return config_fail(err, errlen, "berth.namespaces[%zu].name: \"%s\" is listed "
                               "twice (also berth.namespaces[%zu])", i, t->name, j);
    return 0;
}

/* In a cluster, namespaces sharing a slot share a master: said once per pair. */
static void warn_shared_slots(berth_config *cfg)
{
    if (cfg->pool.redis.kind != CONFIG_REDIS_CLUSTER)
        return;
    for (size_t i = 0; i < cfg->ntenants; i++) {
        int slot = ns_slot(cfg->tenants[i].name);
        const char *other = ns_slot(cfg->pool.ns) == slot ? cfg->pool.ns : NULL;
        for (size_t j = 0; !other && j < i; j++)
            if (ns_slot(cfg->tenants[j].name) == slot)
                other = cfg->tenants[j].name;
        if (other)
            config_warn(cfg, "berth.namespaces[%zu]: \"%s\" and \"%s\" hash to the same "
                        "cluster slot (%d), so one master serves both; rename one to spread "
                        "them", i, cfg->tenants[i].name, other, slot);
    }
}

int config_tenants_check(berth_config *cfg, char *err, size_t errlen)
{
    if (cfg->ntenants > CONFIG_MAX_TENANTS)
        return config_fail(err, errlen, "berth.namespaces: at most %d entries, got %zu",
                           CONFIG_MAX_TENANTS, cfg->ntenants);
    for (size_t i = 0; i < cfg->ntenants; i++) {
        int rc = check_one(cfg, i, err, errlen);
        if (rc != 0)
            return rc;
    }
    warn_shared_slots(cfg);
    return 0;
}

void config_tenants_free(berth_config *cfg)
{
    for (size_t i = 0; i < cfg->ntenants; i++)
        berth_free(cfg->tenants[i].name);
    berth_free(cfg->tenants);
    cfg->tenants = NULL;
    cfg->ntenants = 0;
}
