/* Job plugins: shared objects berthd loads at start (`berth.plugins:` in its config) that
 * register job types through the public API (berth/berth.h, berth/context.h), as a
 * built-in job does. A plugin is built against these headers only and links nothing: the
 * host (berthd) provides libberth's symbols.
 *
 *   #include <berth/plugin.h>
 *   static int hello(berth_ctx *ctx, const char *params, void *ud) { ... }
 *   static int reg(berth_engine *e, char *err, size_t errlen) {
 *       return berth_engine_register(e, &(berth_job_type){.name = "HELLO", .run = hello});
 *   }
 *   BERTH_PLUGIN("hello", reg)
 *
 * BERTH_PLUGIN defines the one exported symbol, `berth_plugin`, a descriptor whose first
 * member is the ABI version the plugin was compiled against. The host reads that member
 * before anything else and refuses a plugin of another major version (the layout of the
 * rest, and of every public struct, may differ); a plugin of an older minor version of the
 * same major is accepted. The first member's type and place never change. */
#ifndef BERTH_PLUGIN_H
#define BERTH_PLUGIN_H

#include <stddef.h>

#include "berth/berth.h"

/* Major: bumped by any change that breaks a compiled plugin (a public struct's layout, a
 * function's signature). Minor: bumped by additions. */
#define BERTH_ABI_MAJOR 1
#define BERTH_ABI_MINOR 0
#define BERTH_ABI_VERSION ((BERTH_ABI_MAJOR << 16) | BERTH_ABI_MINOR)

typedef struct berth_plugin_desc {
    unsigned abi;           /* BERTH_ABI_VERSION when the plugin was built; always first */
    const char *name;       /* for the host's messages */
    /* Registers the plugin's job types on e (before the engine starts). 0, or non-zero
     * with a reason in err, which makes the host refuse to start. */
    int (*register_jobs)(berth_engine *e, char *err, size_t errlen);
} berth_plugin_desc;

#define BERTH_PLUGIN_SYMBOL "berth_plugin"

#define BERTH_PLUGIN(name_, register_fn_)                                              \
    __attribute__((visibility("default"))) const berth_plugin_desc berth_plugin = {   \
        BERTH_ABI_VERSION, (name_), (register_fn_)};

#endif
