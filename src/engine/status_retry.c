/* The in-memory status retry list; see status_retry.h. */
#include "engine/status_retry.h"

#include "berth/error.h"
#include "util/alloc.h"

void status_retry_init(status_retry *s)
{
    pthread_mutex_init(&s->mu, NULL);
    s->items = NULL;
    s->n = 0;
}

void status_retry_destroy(status_retry *s)
{
    for (size_t i = 0; i < s->n; i++)
        berth_free(s->items[i]);
    berth_free(s->items);
    pthread_mutex_destroy(&s->mu);
}

int status_retry_keep(status_retry *s, const char *item)
{
    char *copy = berth_strdup(item);
    pthread_mutex_lock(&s->mu);
    char **items = copy ? berth_realloc(s->items, (s->n + 1) * sizeof *s->items) : NULL;
    if (items) {
        s->items = items;
        s->items[s->n++] = copy;
    }
    pthread_mutex_unlock(&s->mu);
    if (!items)
        berth_free(copy);
    return items ? 0 : BERTH_ENOMEM;
}

void status_retry_flush(status_retry *s, rconn *rc, const char *prefix)
{
    pthread_mutex_lock(&s->mu);
    while (s->n > 0) {
        rreply *r = rconn_cmd(rc, "RPUSH %sberth:status_retry %s", prefix, s->items[s->n - 1]);
        bool ok = rconn_ok(rc, r);
        rreply_free(r);
        if (!ok)
            break;
        berth_free(s->items[--s->n]);
    }
    pthread_mutex_unlock(&s->mu);
}
