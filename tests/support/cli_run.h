/* Running the real `berth` CLI ($BERTH_BINARY_DIR/berth) as a child process for the e2e
 * tests: its environment cleaned of the variables berth reads, stdout and stderr captured
 * whole (stdout passed to a callback as it arrives), at most 60 s, then SIGKILL. */
#ifndef BERTH_TEST_CLI_RUN_H
#define BERTH_TEST_CLI_RUN_H

#include "util/buf.h"

typedef struct cli_run_out {
    int code;              /* exit status; -1 when killed or not exited normally */
    buf out, err;          /* everything it wrote */
} cli_run_out;

/* Called with the stdout so far each time more arrives. */
typedef void (*on_stdout_fn)(const buf *out);

/* Runs berth with args (NULL-terminated) and env additions ("NAME=value", NULL-terminated;
 * may be NULL). Asserts (cmocka) that the child could be started. */
cli_run_out cli_run_env(const char *const *env, on_stdout_fn on_out, const char *const *args);
void cli_run_free(cli_run_out *r);

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

#endif
