/* Capped line splitting; see lines.h. */
#include "exec/lines.h"

#include <string.h>

void exec_lines_init(exec_lines *l)
{
    l->len = 0;
    l->cut = false;
    l->dropped = 0;
}

static void emit(exec_lines *l, bool cut, exec_line_fn fn, void *ud)
{
    l->buf[l->len] = '\0';
    fn(l->buf, l->len, cut, ud);
    l->len = 0;
}

/* Appends what fits of the current line; a line reaching the cap is handed over cut. */
static void take(exec_lines *l, const char *p, size_t n, exec_line_fn fn, void *ud)
{
    if (l->cut) {
        l->dropped += n;
        return;
    }
    size_t room = EXEC_LINE_MAX - l->len;
    size_t k = n < room ? n : room;
    memcpy(l->buf + l->len, p, k);
    l->len += k;
    if (k < n) {
        l->dropped += n - k;
        l->cut = true;
        emit(l, true, fn, ud);
    }
}

void exec_lines_feed(exec_lines *l, const char *p, size_t n, exec_line_fn fn, void *ud)
{
    while (n > 0) {
        const char *nl = memchr(p, '\n', n);
        size_t part = nl ? (size_t)(nl - p) : n;
        take(l, p, part, fn, ud);
        if (!nl)
            return;
        if (!l->cut)
            emit(l, false, fn, ud);
        l->cut = false;
        l->len = 0;
        p += part + 1;
        n -= part + 1;
    }
}

void exec_lines_end(exec_lines *l, exec_line_fn fn, void *ud)
{
    if (l->len > 0 && !l->cut)
        emit(l, false, fn, ud);
    l->len = 0;
    l->cut = false;
}
