/* Error lines and exit codes (report.h). */
#include "cli/report.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/buf.h"

/* Longest piece of server text put on an error line. */
#define REPORT_TEXT_MAX 400

__attribute__((format(printf, 1, 0)))
static void vline(const char *fmt, va_list ap)
{
    fputs("berth: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

int report_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vline(fmt, ap);
    va_end(ap);
    fputs("Try 'berth --help'.\n", stderr);
    return CLI_USAGE;
}

int report_fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vline(fmt, ap);
    va_end(ap);
    return code;
}

int report_exit_for_status(long status)
{
    if (status >= 200 && status < 300)
        return CLI_OK;
    if (status == 401)
        return CLI_AUTH;
    if (status == 404)
        return CLI_NOT_FOUND;
    if ((status >= 400 && status < 500) || status == 501) /* 501: unknown action */
        return CLI_REFUSED;
    return CLI_SERVER;
}

/* Appends s[0..n) to out as one line: stops at the first line break, control bytes become
 * '?', at most REPORT_TEXT_MAX bytes. */
static void one_line(buf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n && i < REPORT_TEXT_MAX; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n' || c == '\r')
            break;
        char ch = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
        buf_append(out, &ch, 1);
    }
}

/* Harbor's {"code":N,"message":..,"details":..}; false when body is not that. */
static bool harbor_error(const char *body, size_t len, buf *line)
{
    json_t *j = json_loadb(body, len, 0, NULL);
    json_t *code = json_object_get(j, "code"), *msg = json_object_get(j, "message");
    json_t *det = json_object_get(j, "details");
    bool ok = json_is_integer(code) && json_is_string(msg) && (!det || json_is_string(det));
    if (ok) {
        one_line(line, json_string_value(msg), json_string_length(msg));
        buf_printf(line, " (%lld", (long long)json_integer_value(code));
        if (det && json_string_length(det)) {
            buf_puts(line, " ");
            one_line(line, json_string_value(det), json_string_length(det));
        }
        buf_puts(line, ")");
    }
    json_decref(j);
    return ok;
}

int report_http(long status, const char *body, size_t len)
{
    buf line;
    buf_init(&line, 4 * REPORT_TEXT_MAX);
    if (!body || !harbor_error(body, len, &line)) {
        buf_reset(&line);
        one_line(&line, body ? body : "", body ? len : 0);
        buf_printf(&line, "%s(HTTP %ld)", line.len ? " " : "server answered ", status);
    }
    int code = report_fail(report_exit_for_status(status), "%s", line.p);
    buf_free(&line);
    return code;
}

void report_auth_hint(const cli_cfg *cfg)
{
    if (!cfg->secret)
        fputs("berth: no secret was sent: pass --secret S or export BERTH_SECRET=S (CORE_SECRET "
              "is read too)\n", stderr);
    else
        fprintf(stderr, "berth: the server refused the secret from %s: it must be the "
                "CORE_SECRET berthd was started with (a berthd without one refuses every "
                "secret)\n", cfg->secret_from ? cfg->secret_from : "--secret");
    fputs("berth: `make run` keeps berthd's secret in data/secret: "
          "export BERTH_SECRET=$(cat data/secret)\n", stderr);
}
