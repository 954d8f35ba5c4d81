/* The promoter thread: moves due Scheduled jobs and due retries into their queues
 * (schedule.lua, batched), then sleeps until the earliest remaining due time, to the
 * microsecond: an entry is due once the wall clock reaches its millisecond, and waking a
 * whole millisecond late (a wait in ms rounded up) made every scheduled start late by
 * 1–2 ms (a Scheduled job never starts before launch time + delay either way). It wakes
 * at least once a second because other nodes may add earlier entries (Harbor's
 * requeuers poll every second too); a local Scheduled launch wakes it at once. */
#include <stdlib.h>

#include "engine/internal.h"

#define BATCH 500
#define MAX_WAIT_US 1000000

/* One pass; returns µs until the next due entry (capped), 0 to go again at once. */
static int64_t pass(berth_engine *e, rconn *rc)
{
    rargs a;
    rargs_init(&a);
    int64_t now_ms = clock_wall_ms();
    rargs_adds(&a, e->prefix);
    rargs_addi(&a, now_ms / 1000);
    rargs_addi(&a, BATCH);
    rargs_addi(&a, now_ms);
    rreply *r = rconn_eval(rc, SCRIPT_SCHEDULE, &a);
    rargs_free(&a);
    int64_t wait = MAX_WAIT_US;
    long long moved = 0;
    double due = 0;
    const char *next = rreply_str(rreply_at(r, 1));   /* "" when nothing is scheduled */
    if (rreply_array(rc, r, 2) != 0 || rreply_integer(rc, rreply_at(r, 0), &moved) != 0) {
        BLOG(&e->log, rconn_fail_level(r), "promoter pass failed: %s", rc->err);
    } else if (moved >= BATCH) {
        wait = 0;
    } else if (next && *next && rreply_number(rc, rreply_at(r, 1), &due) == 0) {
        /* due is a whole ms (schedule.lua moves scores <= now in ms): wake at its start */
        double left = due * 1000.0 - (double)clock_wall_us();
        wait = left <= 0 ? 0 : left < MAX_WAIT_US ? (int64_t)left : MAX_WAIT_US;
    }
    rreply_free(r);
    return wait;
}

void *promoter_main(void *arg)
{
    berth_engine *e = arg;
    rconn rc;
    rconn_init(&rc, &e->target, 5000);
    while (atomic_load(&e->running)) {
        int64_t wait = pass(e, &rc);
        if (wait > 0)
            engine_tick_wait_us(e, wait);
    }
    rconn_close(&rc);
    return NULL;
}
