/* Option scanning (args.h). Deliberately small: no option bundling (-abc), no optional
 * values. A value may start with '-' ("--params -1" is a value, not an option). */
#include "cli/args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void args_init(args_iter *it, int argc, char **argv, int first)
{
    memset(it, 0, sizeof *it);
    it->argc = argc;
    it->argv = argv;
    it->i = first;
}

/* The table entry for arg (name up to '=' or alias), or NULL. */
static const args_opt *find(const args_opt *opts, const char *arg, size_t namelen)
{
    for (const args_opt *o = opts; o && o->name; o++) {
        if (strlen(o->name) == namelen && !strncmp(o->name, arg, namelen))
            return o;
        if (o->alias && strlen(o->alias) == namelen && !strncmp(o->alias, arg, namelen))
            return o;
    }
    return NULL;
}

static int take_value(args_iter *it, const args_opt *o, const char *eq, const char **val)
{
    if (!o->has_value) {
        if (eq) {
            snprintf(it->err, sizeof it->err, "option %s takes no value", o->name);
            return ARGS_ERR;
        }
        return o->id;
    }
    if (eq) {
        *val = eq + 1;
        return o->id;
    }
    if (it->i >= it->argc) {
        snprintf(it->err, sizeof it->err, "option %s needs a value", o->name);
        return ARGS_ERR;
    }
    *val = it->argv[it->i++];
    return o->id;
}

int args_next(args_iter *it, const args_opt *opts, const char **val)
{
    *val = NULL;
    if (it->i >= it->argc)
        return ARGS_END;
    const char *a = it->argv[it->i++];
    if (it->no_more_opts || a[0] != '-' || !strcmp(a, "-")) {
        *val = a;
        return ARGS_POS;
    }
    if (!strcmp(a, "--")) {
        it->no_more_opts = true;
        if (!it->keep_unknown)
            return args_next(it, opts, val);
        *val = a;
        return ARGS_POS;
    }
    const char *eq = strchr(a, '=');
    const args_opt *o = find(opts, a, eq ? (size_t)(eq - a) : strlen(a));
    if (o)
        return take_value(it, o, eq, val);
    if (it->keep_unknown) {
        *val = a;
        return ARGS_POS;
    }
    snprintf(it->err, sizeof it->err, "unknown option %.*s", eq ? (int)(eq - a) : 100, a);
    return ARGS_ERR;
}

bool args_long(const char *s, long min, long max, long *out)
{
    if (!s || !*s || *s == ' ' || *s == '+')
        return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}
