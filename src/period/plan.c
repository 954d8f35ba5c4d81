/* Which fire times the enqueuer plans for a policy: everything in (now - LATE, now + horizon]
 * after the last planned one, plus, after downtime, the missed ones (last, now - LATE] by
 * the misfire policy. A fire up to LATE seconds old is only late (the loop runs every
 * second), not missed. Pure function of its inputs, so tests drive it with any clock. */
#include "period/period_internal.h"

#include <string.h>
#include <strings.h>

#define LATE_S 5

int berth_misfire_parse(const char *name, berth_misfire *out)
{
    static const char *const names[] = {"once", "skip", "all"};
    for (int i = 0; name && i < 3; i++)
        if (strcasecmp(name, names[i]) == 0) {
            *out = (berth_misfire)i;
            return 0;
        }
    return BERTH_EINVAL;
}

/* The newest `keep` missed fires in (last, until], ascending into out. Walks backwards
 * from `until`, so a policy down for years costs `keep` steps, not one per missed fire. */
static int missed(const cron_schedule *s, int64_t last, int64_t until, int64_t *out, int keep)
{
    int n = 0;
    for (int64_t t = cron_prev(s, until); t > last && n < keep; t = cron_prev(s, t - 1))
        out[n++] = t;
    for (int i = 0; i < n / 2; i++) {
        int64_t tmp = out[i];
        out[i] = out[n - 1 - i];
        out[n - 1 - i] = tmp;
    }
    return n;
}

int period_plan(const berth_periodic_config *cfg, const policy *pol, int64_t last,
                int64_t now, int64_t *out, int max, int64_t *advance_to)
{
    int n = 0;
    *advance_to = 0;
    int64_t late = now - LATE_S;
    if (last < late) {
        int cap = cfg->misfire == BERTH_MISFIRE_ALL ? (int)cfg->max_catch_up : 1;
        if (cap > max)
            cap = max;
        int got = missed(&pol->sched, last, late, out, cap);
        if (cfg->misfire == BERTH_MISFIRE_SKIP ||
            (cfg->misfire == BERTH_MISFIRE_ONCE && got && out[got - 1] + cfg->grace_s < now))
            got = 0;
        n = got;
        *advance_to = late;  /* whatever was not planned in (last, late] is skipped for good */
    }
    int64_t from = last > late ? last : late;
    for (int64_t t = cron_next(&pol->sched, from); t > 0 && t <= now + cfg->horizon_s && n < max;
         t = cron_next(&pol->sched, t))
        out[n++] = t;
    return n;
}

int berth_period_fires(const char *spec, int64_t after, int64_t until, int64_t *out, int max,
                       char *err, size_t errlen)
{
    cron_schedule s;
    const char *field = NULL;
    if (cron_parse(spec, &s, err, errlen, &field) != 0)
        return BERTH_EINVAL;
    int n = 0;
    for (int64_t t = cron_next(&s, after); t > 0 && t <= until && n < max; t = cron_next(&s, t))
        out[n++] = t;
    return n;
}
