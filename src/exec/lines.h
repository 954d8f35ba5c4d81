/* Splits a byte stream (a child's stdout, stderr or control channel) into lines with a cap
 * on each line, so a child that writes a gigabyte without a newline costs a fixed buffer.
 * A line longer than EXEC_LINE_MAX is handed over cut at the cap (cut = true) and the rest
 * of it, up to its newline, is counted and dropped. No allocation; one per stream, owned
 * by the thread reading that stream. */
#ifndef BERTH_EXEC_LINES_H
#define BERTH_EXEC_LINES_H

#include <stdbool.h>
#include <stddef.h>

/* Longest line kept, in bytes: a job-log line (berth_ctx_log formats into 2 KiB) with room
 * for its prefix. */
#define EXEC_LINE_MAX 1900

typedef struct exec_lines {
    char buf[EXEC_LINE_MAX + 1];
    size_t len;          /* bytes of the current line in buf */
    bool cut;            /* the current line passed the cap and was handed over */
    size_t dropped;      /* bytes dropped from cut lines so far (for the caller's count) */
} exec_lines;

/* One complete line without its newline, NUL-terminated; valid during the call. */
typedef void (*exec_line_fn)(const char *line, size_t len, bool cut, void *ud);

void exec_lines_init(exec_lines *l);
/* Feeds n bytes; fn gets every line they complete (and a cut line once it passes the cap). */
void exec_lines_feed(exec_lines *l, const char *p, size_t n, exec_line_fn fn, void *ud);
/* End of the stream: hands over a last line that had no newline. */
void exec_lines_end(exec_lines *l, exec_line_fn fn, void *ud);

#endif
