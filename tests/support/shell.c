/* Shell commands for the packaging tests; see shell.h. */
#include "shell.h"

#include "test.h"

#include <stdarg.h>
#include <sys/wait.h>

__attribute__((format(printf, 3, 0)))
static int vrun(char *out, size_t outlen, const char *fmt, va_list ap, char *cmd, size_t cmdlen)
{
    int n = vsnprintf(cmd, cmdlen, fmt, ap);
    char full[8300];
    if (n < 0 || (size_t)n >= cmdlen)
        return -1;
    snprintf(full, sizeof full, "{ %s\n} 2>&1", cmd);   /* the whole list, not its last part */
    FILE *p = popen(full, "r");
    if (!p)
        return -1;
    char sink[4096];
    size_t len = 0;
    for (;;) {
        char *dst = out && len + 1 < outlen ? out + len : sink;
        size_t room = out && len + 1 < outlen ? outlen - 1 - len : sizeof sink;
        size_t got = fread(dst, 1, room, p);
        if (!got)
            break;
        if (dst != sink)
            len += got;
    }
    if (out && outlen)
        out[len] = '\0';
    int st = pclose(p);
    if (st < 0)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int sh_run(char *out, size_t outlen, const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    int rc = vrun(out, outlen, fmt, ap, cmd, sizeof cmd);
    va_end(ap);
    return rc;
}

void sh_ok(char *out, size_t outlen, const char *fmt, ...)
{
    char cmd[8192], mine[16384];
    if (!out) {
        out = mine;
        outlen = sizeof mine;
    }
    va_list ap;
    va_start(ap, fmt);
    int rc = vrun(out, outlen, fmt, ap, cmd, sizeof cmd);
    va_end(ap);
    if (rc != 0)
        fprintf(stderr, "command failed with %d: %s\n%s\n", rc, cmd, out);
    assert_int_equal(rc, 0);
}

const char *sh_packaging_skip(void)
{
    const char *san = getenv("BERTH_SANITIZE");
    if (san && *san)
        return "the packaging tests run in the release preset only (this build has a "
               "sanitizer: they test the install tree and the package, not the code)";
    return NULL;
}
