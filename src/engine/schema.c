/* The version of the Redis layout a namespace holds ({ns}:berth:schema, docs/redis-schema.md).
 * Nodes of one service share one Redis, so an upgrade that changes the layout must not let
 * an older node write the old layout next to the new one: every engine checks the key at
 * start, writes it on a fresh namespace, and refuses one written by a newer Berth without
 * changing anything. A layout change bumps BERTH_SCHEMA_VERSION and migrates older data.
 * The same first look refuses a Redis older than Berth's commands need (store/server_version.h). */
#include <stdio.h>

#include "engine/internal.h"
#include "store/server_version.h"

/* 2: Berth's compact stats hashes (docs/redis-schema.md, "Stats hash"). Layout 2 reads
 * layout 1's hashes (Harbor's field names) as they are: nothing to migrate, the key is
 * raised so that a Berth that writes layout 1 refuses to start next to it. */
#define BERTH_SCHEMA_VERSION 2

/* The finished-stats TTLs of the namespace ({ns}:berth:stats_ttl, read by finalize() in
 * src/store/lua/_lib.lua): this engine's config, written at every start. 0 or BERTH_EREDIS. */
static int write_stats_ttl(berth_engine *e, rconn *rc)
{
    char v[48];
    snprintf(v, sizeof v, "%u %u", e->cfg.stats_ttl_s, e->cfg.stats_error_ttl_s);
    rreply *r = rconn_cmd(rc, "SET %sberth:stats_ttl %s", e->prefix, v);
    int err = rconn_ok(rc, r) ? 0 : BERTH_EREDIS;
    rreply_free(r);
    return err;
}

int engine_schema_check(berth_engine *e)
{
    rconn *rc = NULL;
    int taken = engine_conn_take(e, &rc);   /* BERTH_EREDIS or BERTH_ENOMEM */
    if (taken)
        return taken;
    char why[256];
    int verr = rserver_version_check(rc, why, sizeof why);
    if (verr != 0) {
        if (verr == BERTH_EVERSION)
            BLOG_ERROR(&e->log, "%s: refusing to start", why);
        else
            BLOG_ERROR(&e->log, "cannot read the Redis version (INFO server): %s", rc->err);
        engine_conn_put(e, rc);
        return verr;
    }
    /* SET NX then GET: a fresh namespace gets our version; an existing one keeps its own. */
    rreply *r = rconn_cmd(rc, "SET %sberth:schema %d NX", e->prefix, BERTH_SCHEMA_VERSION);
    int err = rconn_ok(rc, r) ? 0 : BERTH_EREDIS;
    rreply_free(r);
    r = err ? NULL : rconn_read(rc, "GET %sberth:schema", e->prefix);
    long long have = 0;
    if (!err && rreply_integer(rc, r, &have) != 0)
        err = BERTH_EREDIS;
    if (!err && have > BERTH_SCHEMA_VERSION) {
        BLOG_ERROR(&e->log, "redis key %sberth:schema says layout version %lld, this Berth "
                   "writes version %d: refusing to start (upgrade this node to the version "
                   "the other nodes run; docs/operations.md)", e->prefix, have,
                   BERTH_SCHEMA_VERSION);
        err = BERTH_ESCHEMA;
    } else if (!err && have < BERTH_SCHEMA_VERSION) {
        rreply_free(r);
        r = rconn_cmd(rc, "SET %sberth:schema %d", e->prefix, BERTH_SCHEMA_VERSION);
        err = rconn_ok(rc, r) ? 0 : BERTH_EREDIS;
    }
    if (!err)
        err = write_stats_ttl(e, rc);
    if (err == BERTH_EREDIS) {
        BLOG_ERROR(&e->log, "cannot check the layout version in redis: %s", rc->err);
    }
    rreply_free(r);
    engine_conn_put(e, rc);
    return err;
}
