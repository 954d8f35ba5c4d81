/* Registered job names from /api/v1/stats (names.h). */
#include "cli/names.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "util/buf.h"

/* Appends n to list (", "-separated) unless it is there already. */
static void add_name(buf *list, const char *n)
{
    for (const char *p = list->p; p && (p = strstr(p, n)); p += strlen(n)) {
        bool starts = p == list->p || p[-1] == ' ';
        bool ends = p[strlen(n)] == ',' || p[strlen(n)] == '\0';
        if (starts && ends)
            return;
    }
    buf_printf(list, "%s%s", list->len ? ", " : "", n);
}

/* Every pool's job_names into list; true when name is among them. */
static bool collect(const json_t *pools, const char *name, buf *list)
{
    bool found = false;
    size_t i, k;
    json_t *p, *n;
    json_array_foreach(pools, i, p)
        json_array_foreach(json_object_get(p, "job_names"), k, n)
            if (json_is_string(n)) {
                found |= strcmp(json_string_value(n), name) == 0;
                add_name(list, json_string_value(n));
            }
    return found;
}

void names_hint_unknown(client *c, const char *name)
{
    client_resp r;
    client_resp_init(&r, NULL, 0);
    if (client_do(c, "GET", "/api/v1/stats", NULL, false, &r) || r.status != 200) {
        client_resp_free(&r);
        return;
    }
    json_t *j = json_loadb(r.body.p, r.body.len, 0, NULL);
    buf list;
    buf_init(&list, 1 << 16);
    json_t *pools = json_object_get(j, "worker_pools");
    if (json_is_array(pools) && !collect(pools, name, &list) && list.len)
        fprintf(stderr, "berth: no worker pool runs a job named '%s'; the registered names "
                "are: %s\n", name, list.p);
    buf_free(&list);
    json_decref(j);
    client_resp_free(&r);
}
