/* Building and freeing completer messages; see outcome.h. */
#include "engine/outcome.h"

#include "engine/internal.h"
#include "util/alloc.h"

static outcome *make(outcome_op op)
{
    outcome *o = berth_calloc(1, sizeof *o);
    if (o)
        o->op = op;
    return o;
}

outcome *outcome_finished(run *r)
{
    outcome *o = r->finish;
    r->finish = NULL;
    *o = (outcome){.op = OUTCOME_FINISHED, .u.finished = r};
    return o;
}

/* A check-in of run r (its id, name and revision copied: the run may be gone by the time
 * the completer reads it). NULL when out of memory. */
static outcome *about_run(outcome_op op, const run *r)
{
    outcome *o = make(op);
    if (!o)
        return NULL;
    o->u.checkin.id = berth_strdup(r->id);
    o->u.checkin.name = berth_strdup(r->name);
    o->u.checkin.revision = r->revision;
    if (!o->u.checkin.id || !o->u.checkin.name) {
        outcome_free(o);
        return NULL;
    }
    return o;
}

outcome *outcome_checkin(run *r, const char *text)
{
    atomic_store(&r->checked_in, true);   /* before the message: see run.h */
    outcome *o = about_run(OUTCOME_CHECKIN, r);
    if (o && !(o->u.checkin.text = berth_strdup(text))) {
        outcome_free(o);
        return NULL;
    }
    return o;
}

outcome *outcome_started(run *r)
{
    outcome *o = r->start;
    r->start = NULL;
    *o = (outcome){.op = OUTCOME_STARTED, .u.started = r};
    return o;
}

outcome *outcome_unique_release(const char *holder, char *key)
{
    outcome *o = key ? make(OUTCOME_UNIQUE_RELEASE) : NULL;
    if (o) {
        o->u.unique.key = key;
        o->u.unique.holder = berth_strdup(holder);
    }
    if (!o || !o->u.unique.holder) {
        outcome_free(o);
        if (!o)
            berth_free(key);
        return NULL;
    }
    return o;
}

void outcome_free(outcome *o)
{
    if (!o)
        return;
    switch (o->op) {
    case OUTCOME_FINISHED:
        run_free(o->u.finished);
        break;
    case OUTCOME_STARTED:     /* the run belongs to its FINISHED message */
        break;
    case OUTCOME_CHECKIN:
        berth_free(o->u.checkin.id);
        berth_free(o->u.checkin.name);
        berth_free(o->u.checkin.text);
        break;
    case OUTCOME_UNIQUE_RELEASE:
        berth_free(o->u.unique.holder);
        berth_free(o->u.unique.key);
        break;
    }
    berth_free(o);
}

int engine_report(berth_engine *e, outcome *o)
{
    if (!o) {
        BLOG_ERROR(&e->log, "out of memory: a start (Running), check-in or unique-lock release was dropped");
        return BERTH_ENOMEM;
    }
    fifo_push(&e->done, &o->node);
    return 0;
}

void outcome_free_node(fnode *n)
{
    outcome_free(FIFO_ENTRY(n, outcome, node));
}
