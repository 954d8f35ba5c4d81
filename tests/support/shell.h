/* Shell commands for the packaging tests (label package). What an operator gets from
 * `make install` and the .deb is checked with the operator's own tools (cmake --install,
 * pkg-config, cc, dpkg, systemd-analyze, groff) run as child processes, output captured. */
#ifndef BERTH_TEST_SHELL_H
#define BERTH_TEST_SHELL_H

#include <stddef.h>

/* Runs `/bin/sh -c CMD` (CMD printf-style) with stdout and stderr captured in out (at most
 * outlen - 1 bytes, NUL-terminated; out may be NULL to discard). Returns the exit code,
 * 128 + signal, or -1 when the shell could not be started. */
int sh_run(char *out, size_t outlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* sh_run that must exit 0 (a cmocka assertion; the command and its output are printed
 * when it does not). Call it on the test's own thread only. */
void sh_ok(char *out, size_t outlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Why the packaging tests do not run in this build (a sanitizer preset: they test the
 * package, not the code), or NULL when they do. The test prints it and exits 77, which
 * ctest reports as skipped. */
const char *sh_packaging_skip(void);

#endif
