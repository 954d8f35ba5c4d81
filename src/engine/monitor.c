/* Operator views (include/berth/monitor.h): plain reads of the keys the status scripts
 * (_lib.lua finalize, finish.lua check-ins) and the hook dispatcher (hook_done.lua, parked
 * events with fields j s r u c t at reason parked_at; docs/hooks.md) write. */
#include <stdlib.h>
#include <string.h>

#include "berth/monitor.h"
#include "engine/internal.h"
#include "store/reply.h"
#include "util/alloc.h"

static int64_t int_str(const rreply *r)
{
    const char *v = rreply_str(r);
    return v ? strtoll(v, NULL, 10) : 0;
}

/* One minute's hash (status → count) into m. */
static void read_minute(const rreply *h, berth_minute *m)
{
    for (size_t i = 0; i + 1 < rreply_len(h); i += 2) {
        const char *f = rreply_str(rreply_at(h, i));
        int64_t v = int_str(rreply_at(h, i + 1));
        if (!f)
            continue;
        if (strcmp(f, "Success") == 0)
            m->success = v;
        else if (strcmp(f, "Error") == 0)
            m->error = v;
        else if (strcmp(f, "Stopped") == 0)
            m->stopped = v;
    }
}

int berth_query_throughput(berth_engine *e, unsigned minutes, berth_minute *out)
{
    if (minutes == 0 || minutes > BERTH_THROUGHPUT_MAX_MINUTES || !out)
        return BERTH_EINVAL;
    rconn *rc = NULL;
    int taken = engine_conn_take(e, &rc);   /* BERTH_EREDIS or BERTH_ENOMEM */
    if (taken)
        return taken;
    int64_t now = clock_wall_s(), last = now - now % 60;
    int err = 0;
    for (unsigned i = 0; i < minutes && err == 0; i++) {
        berth_minute *m = &out[i];
        *m = (berth_minute){.at = last - (int64_t)(minutes - 1 - i) * 60};
        rreply *h = rconn_read(rc, "HGETALL %sberth:throughput:%lld", e->prefix, (long long)m->at);
        if (rreply_array(rc, h, RREPLY_ANY) == 0)
            read_minute(h, m);
        else
            err = BERTH_EREDIS;
        rreply_free(h);
    }
    engine_conn_put(e, rc);
    return err;
}

void berth_checkin_list_clear(berth_checkin_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        berth_free(l->items[i].message);
    berth_free(l->items);
    memset(l, 0, sizeof *l);
}

int berth_query_checkins(berth_engine *e, const char *job_id, berth_checkin_list *out)
{
    memset(out, 0, sizeof *out);
    if (!job_id || !*job_id)
        return BERTH_EINVAL;
    rconn *rc = NULL;
    int taken = engine_conn_take(e, &rc);   /* BERTH_EREDIS or BERTH_ENOMEM */
    if (taken)
        return taken;
    rreply *r = rconn_read(rc, "LRANGE %sberth:checkins:%s 0 -1", e->prefix, job_id);
    int err = rreply_array(rc, r, RREPLY_ANY) == 0 ? 0 : BERTH_EREDIS;
    if (err == 0 && !(out->items = berth_calloc(rreply_len(r) + 1, sizeof *out->items)))
        err = BERTH_ENOMEM;
    for (size_t i = 0; err == 0 && i < rreply_len(r); i++) {
        const char *s = rreply_str(rreply_at(r, i));   /* "<unix s> <message>" */
        const char *sp = s ? strchr(s, ' ') : NULL;
        if (!sp)
            continue;
        out->items[out->n++] = (berth_checkin){.at = strtoll(s, NULL, 10),
                                               .message = berth_strdup(sp + 1)};
        if (!out->items[out->n - 1].message)
            err = BERTH_ENOMEM;
    }
    rreply_free(r);
    engine_conn_put(e, rc);
    return err;
}

void berth_parked_list_clear(berth_parked_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        berth_parked_hook *h = &l->items[i];
        berth_free(h->event_id);
        berth_free(h->job_id);
        berth_free(h->status);
        berth_free(h->url);
        berth_free(h->check_in);
        berth_free(h->reason);
    }
    berth_free(l->items);
    memset(l, 0, sizeof *l);
}

/* One stream entry [id, [f1, v1, ...]] into h: 0 or BERTH_ENOMEM. */
static int read_parked(const rreply *entry, berth_parked_hook *h)
{
    const rreply *f = rreply_at(entry, 1);
    if (!(h->event_id = berth_strdup(rreply_str(rreply_at(entry, 0)))))
        return BERTH_ENOMEM;
    for (size_t i = 0; i + 1 < rreply_len(f); i += 2) {
        const char *k = rreply_str(rreply_at(f, i));
        const rreply *v = rreply_at(f, i + 1);
        if (!k)
            continue;
        char **dst = !strcmp(k, "j") ? &h->job_id : !strcmp(k, "s") ? &h->status
                   : !strcmp(k, "u") ? &h->url : !strcmp(k, "c") ? &h->check_in
                   : !strcmp(k, "reason") ? &h->reason : NULL;
        if (dst && !*dst && rreply_str(v) && !(*dst = berth_strdup(rreply_str(v))))
            return BERTH_ENOMEM;
        else if (!strcmp(k, "r"))
            h->revision = int_str(v);
        else if (!strcmp(k, "parked_at"))
            h->parked_at = int_str(v);
    }
    return 0;
}

int berth_query_parked_hooks(berth_engine *e, unsigned limit, berth_parked_list *out)
{
    memset(out, 0, sizeof *out);
    if (limit == 0 || limit > 1000)
        return BERTH_EINVAL;
    rconn *rc = NULL;
    int taken = engine_conn_take(e, &rc);   /* BERTH_EREDIS or BERTH_ENOMEM */
    if (taken)
        return taken;
    rreply *r = rconn_read(rc, "XREVRANGE %sberth:hooks:parked + - COUNT %u", e->prefix, limit);
    int err = rreply_array(rc, r, RREPLY_ANY) == 0 ? 0 : BERTH_EREDIS;
    if (err == 0 && !(out->items = berth_calloc(rreply_len(r) + 1, sizeof *out->items)))
        err = BERTH_ENOMEM;
    for (size_t i = 0; err == 0 && i < rreply_len(r); i++) {
        const rreply *en = rreply_at(r, i);
        if (rreply_len(en) == 2 && rreply_str(rreply_at(en, 0)))
            err = read_parked(en, &out->items[out->n++]);
    }
    rreply_free(r);
    engine_conn_put(e, rc);
    return err;
}
