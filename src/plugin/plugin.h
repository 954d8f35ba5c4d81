/* Loading job plugins (include/berth/plugin.h): dlopen each shared object, check its ABI
 * version before touching anything else in it, and let it register its job types.
 * The handles stay open for as long as the engine can run their code: free the set only
 * after berth_engine_free. Not thread-safe; called once at start. */
#ifndef BERTH_PLUGIN_PLUGIN_H
#define BERTH_PLUGIN_PLUGIN_H

#include <stddef.h>

#include "berth/berth.h"

typedef struct plugin_set plugin_set;

/* Loads paths[0..n) in order and registers their jobs on e. 0, or BERTH_ECONFIG with one
 * line in err naming the plugin (cannot be opened, no berth_plugin symbol, another ABI
 * major version, its registration failed). *out is set in both cases: what was loaded
 * may have registered job types, so the caller frees it after the engine either way. */
int plugin_set_load(berth_engine *e, const char *const *paths, size_t n, plugin_set **out,
                    char *err, size_t errlen);
/* Number of plugins loaded. */
size_t plugin_set_count(const plugin_set *s);
/* dlcloses every plugin. NULL is a no-op. Only after the engine is freed. */
void plugin_set_free(plugin_set *s);

#endif
