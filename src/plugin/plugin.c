/* Job plugins; see plugin.h and include/berth/plugin.h. */
#include "plugin/plugin.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "berth/plugin.h"
#include "util/alloc.h"

struct plugin_set {
    void **handles;
    size_t n;
};

/* Opens one plugin and checks it; the handle into *h (closed again on failure). */
static int open_one(const char *path, void **h, const berth_plugin_desc **d, char *err,
                    size_t errlen)
{
    /* RTLD_NOW: a missing symbol is found now, not when a job first runs. RTLD_LOCAL:
     * two plugins cannot see (or clash through) each other's symbols. */
    *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!*h) {
        const char *why = dlerror();
        snprintf(err, errlen, "plugin %s: cannot load: %s", path, why ? why : "unknown error");
        return BERTH_ECONFIG;
    }
    *d = dlsym(*h, BERTH_PLUGIN_SYMBOL);
    const char *why = NULL;
    char text[160];
    if (!*d)
        why = "no '" BERTH_PLUGIN_SYMBOL "' symbol (define it with BERTH_PLUGIN from "
              "<berth/plugin.h>)";
    else if ((*d)->abi >> 16 != BERTH_ABI_MAJOR) {
        snprintf(text, sizeof text, "built for Berth ABI %u.%u, this berthd has ABI %d.%d: "
                 "rebuild it against this version's headers", (*d)->abi >> 16,
                 (*d)->abi & 0xffff, BERTH_ABI_MAJOR, BERTH_ABI_MINOR);
        why = text;
    } else if (!(*d)->register_jobs)
        why = "its descriptor has no register_jobs function";
    if (!why)
        return 0;
    snprintf(err, errlen, "plugin %s: %s", path, why);
    dlclose(*h);
    *h = NULL;
    return BERTH_ECONFIG;
}

static int load_one(berth_engine *e, const char *path, void **h, char *err, size_t errlen)
{
    const berth_plugin_desc *d = NULL;
    int rc = open_one(path, h, &d, err, errlen);
    if (rc != 0)
        return rc;
    char why[256] = "";
    if (d->register_jobs(e, why, sizeof why) == 0)
        return 0;
    snprintf(err, errlen, "plugin %s (%s): registration failed: %s", path,
             d->name ? d->name : "?", why[0] ? why : "no reason given");
    /* Job types it did register stay registered and point into it: keep it loaded. */
    return BERTH_ECONFIG;
}

int plugin_set_load(berth_engine *e, const char *const *paths, size_t n, plugin_set **out,
                    char *err, size_t errlen)
{
    plugin_set *s = berth_calloc(1, sizeof *s);
    if (s && n && !(s->handles = berth_calloc(n, sizeof *s->handles))) {
        berth_free(s);
        s = NULL;
    }
    if (!s) {
        *out = NULL;
        snprintf(err, errlen, "out of memory loading plugins");
        return BERTH_ENOMEM;
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = load_one(e, paths[i], &s->handles[s->n], err, errlen);
        if (s->handles[s->n])
            s->n++;
    }
    /* Even on failure: a plugin whose registration failed half way has job types in the
     * engine that point into it, so it stays loaded until the caller frees the engine. */
    *out = s;
    return rc;
}

size_t plugin_set_count(const plugin_set *s)
{
    return s ? s->n : 0;
}

void plugin_set_free(plugin_set *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        dlclose(s->handles[i]);
    berth_free(s->handles);
    berth_free(s);
}
