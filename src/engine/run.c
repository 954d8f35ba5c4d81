/* Making and freeing runs; see run.h. */
#include "engine/internal.h"
#include "joblog/joblog.h"
#include "util/alloc.h"

run *run_new(void)
{
    run *r = berth_calloc(1, sizeof *r);
    if (r && (!(r->finish = berth_calloc(1, sizeof *r->finish)) ||
              !(r->start = berth_calloc(1, sizeof *r->start)))) {
        berth_free(r->finish);
        berth_free(r);
        return NULL;
    }
    if (r)
        buf_init(&r->errmsg, 4096);
    return r;
}

void run_free(run *r)
{
    if (!r)
        return;
    berth_free(r->finish);   /* still here unless the run was finished */
    berth_free(r->start);    /* still here unless the run was started */
    berth_free(r->id);
    berth_free(r->name);
    berth_free(r->raw);
    buf_free(&r->errmsg);
    joblog_run_free(r->log_unsent);   /* the sink writes what is left without it */
    berth_free(r);
}

void run_free_node(fnode *n)
{
    run_free(FIFO_ENTRY(n, run, node));
}
