/* Per type and outcome: a counter, the total run time, and a ring of the last
 * BERTH_METRICS_WINDOW run times for the quantiles; see berth/metrics.h. Workers record
 * with atomics only, so a scrape never holds up a job. A snapshot may see a ring slot of
 * the run being recorded at the same moment: a quantile is then off by one run, which a
 * metric can afford. */
#include "berth/metrics.h"

#include <stdlib.h>

#include "engine/internal.h"
#include "util/alloc.h"

struct engine_metrics {
    atomic_uint_fast64_t count[BERTH_RUN_OUTCOMES];
    atomic_uint_fast64_t sum_us[BERTH_RUN_OUTCOMES];
    atomic_uint_fast64_t ring_us[BERTH_RUN_OUTCOMES][BERTH_METRICS_WINDOW];
};

const char *berth_run_outcome_name(berth_run_outcome o)
{
    static const char *const names[BERTH_RUN_OUTCOMES] = {"success", "fail", "stop"};
    return o < BERTH_RUN_OUTCOMES ? names[o] : "unknown";
}

int engine_metrics_init(berth_engine *e)
{
    e->metrics = berth_calloc(e->ntypes ? e->ntypes : 1, sizeof *e->metrics);
    return e->metrics ? 0 : BERTH_ENOMEM;
}

void engine_metrics_free(berth_engine *e)
{
    berth_free(e->metrics);
    e->metrics = NULL;
}

void engine_metrics_note(berth_engine *e, const jtype *t, berth_run_outcome o, int64_t us)
{
    engine_metrics *m = &e->metrics[t - e->types];
    uint_fast64_t v = us < 0 ? 0 : (uint_fast64_t)us;
    uint_fast64_t n = atomic_fetch_add(&m->count[o], 1);
    atomic_fetch_add(&m->sum_us[o], v);
    atomic_store(&m->ring_us[o][n % BERTH_METRICS_WINDOW], v);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The q-quantile of sorted v[0..n): the smallest value with at least q·n values at or
 * below it. */
static double quantile(const uint64_t *v, size_t n, double q)
{
    size_t k = (size_t)(q * (double)n + 0.999999);
    return (double)v[k ? k - 1 : 0] / 1e6;
}

static void snapshot(engine_metrics *m, berth_run_outcome o, berth_run_metrics *out)
{
    uint64_t v[BERTH_METRICS_WINDOW];
    out->count = atomic_load(&m->count[o]);
    out->sum_seconds = (double)atomic_load(&m->sum_us[o]) / 1e6;
    size_t n = out->count < BERTH_METRICS_WINDOW ? (size_t)out->count : BERTH_METRICS_WINDOW;
    for (size_t i = 0; i < n; i++)
        v[i] = atomic_load(&m->ring_us[o][i]);
    qsort(v, n, sizeof v[0], cmp_u64);
    out->q50 = n ? quantile(v, n, 0.5) : 0;
    out->q90 = n ? quantile(v, n, 0.9) : 0;
    out->q99 = n ? quantile(v, n, 0.99) : 0;
}

int berth_engine_metrics(berth_engine *e, berth_type_metrics **out, size_t *n)
{
    if (!atomic_load(&e->started) || !e->metrics)
        return BERTH_ESTATE;
    berth_type_metrics *t = berth_calloc(e->ntypes ? e->ntypes : 1, sizeof *t);
    if (!t)
        return BERTH_ENOMEM;
    for (size_t i = 0; i < e->ntypes; i++) {
        t[i].name = e->types[i].name;
        for (int o = 0; o < BERTH_RUN_OUTCOMES; o++)
            snapshot(&e->metrics[i], (berth_run_outcome)o, &t[i].by[o]);
    }
    *out = t;
    *n = e->ntypes;
    return 0;
}

void berth_metrics_free(berth_type_metrics *m)
{
    berth_free(m);
}
