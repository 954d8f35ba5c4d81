/* The scheduler thread: moves due Scheduled jobs and due retries into their queues
 * (schedule.lua, batched), then sleeps until the earliest remaining due time. It wakes
 * at least once a second because other nodes may add earlier entries (Harbor's
 * requeuers poll every second too); a local Scheduled launch wakes it at once. */
#include <stdlib.h>

#include "engine/internal.h"

#define BATCH 500
#define MAX_WAIT_MS 1000

/* One pass; returns ms until the next due entry (capped), 0 to go again at once. */
static int pass(berth_engine *e, rconn *rc)
{
    rargs a;
    rargs_init(&a);
    rargs_adds(&a, e->prefix);
    rargs_addf(&a, "%.3f", (double)engine_now_ms() / 1000.0);
    rargs_addi(&a, BATCH);
    redisReply *r = rconn_eval(rc, SCRIPT_SCHEDULE, &a);
    rargs_free(&a);
    int wait = MAX_WAIT_MS;
    if (!rconn_ok(rc, r) || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
        BLOG(&e->log, rconn_fail_level(r), "scheduler pass failed: %s", rc->err);
    } else if (r->element[0]->integer >= BATCH) {
        wait = 0;
    } else if (r->element[1]->type == REDIS_REPLY_STRING && r->element[1]->len > 0) {
        double due_ms = atof(r->element[1]->str) * 1000.0;
        double left = due_ms - (double)engine_now_ms();
        wait = left <= 0 ? 0 : left < MAX_WAIT_MS ? (int)left + 1 : MAX_WAIT_MS;
    }
    freeReplyObject(r);
    return wait;
}

void *scheduler_main(void *arg)
{
    berth_engine *e = arg;
    rconn rc;
    rconn_init(&rc, &e->target, 5000);
    while (atomic_load(&e->running)) {
        int wait = pass(e, &rc);
        if (wait > 0)
            engine_tick_wait(e, wait);
    }
    rconn_close(&rc);
    return NULL;
}
