/* Option scanning shared by the global flags and every command: `--name value`,
 * `--name=value`, short aliases (`-h`), positional arguments in any order, and `--` to end
 * options. Each caller passes its own table; unknown options are reported, not skipped. */
#ifndef BERTH_CLI_ARGS_H
#define BERTH_CLI_ARGS_H

#include <stdbool.h>

typedef struct args_opt {
    const char *name;    /* "--params" */
    const char *alias;   /* "-h", or NULL */
    bool has_value;      /* takes a value (next argument or after '=') */
    int id;              /* returned by args_next; > 0 */
} args_opt;

enum {
    ARGS_END = 0,        /* no more arguments */
    ARGS_POS = -1,       /* a positional argument: *val */
    ARGS_ERR = -2,       /* unknown option or missing value: message in it->err */
};

typedef struct args_iter {
    int argc;
    char **argv;
    int i;               /* next index */
    bool no_more_opts;   /* after "--" */
    bool keep_unknown;   /* unknown "--x" come back as ARGS_POS (first pass of main) */
    char err[160];
} args_iter;

/* Starts at argv[first]. */
void args_init(args_iter *it, int argc, char **argv, int first);
/* Next option id, ARGS_POS, ARGS_END or ARGS_ERR. *val is the value (options with
 * has_value) or the positional argument; it points into argv. */
int args_next(args_iter *it, const args_opt *opts, const char **val);
/* Parses a whole decimal number in [min, max] from s. */
bool args_long(const char *s, long min, long max, long *out);

#endif
