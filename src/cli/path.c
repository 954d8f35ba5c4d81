/* Job ids in URLs (path.h). Harbor's router never matches a '/' inside {job_id} and
 * redirects paths with ".." (spec §2.4), so such ids are refused here rather than sent. */
#include "cli/path.h"

#include <string.h>

#include "cli/cli.h"
#include "cli/report.h"

int path_check_segment(const char *what, const char *s)
{
    size_t n = strlen(s);
    if (!n)
        return report_usage("the %s is empty", what);
    if (n > PATH_ID_MAX)
        return report_usage("the %s is longer than %d bytes", what, PATH_ID_MAX);
    if (strchr(s, '/') || strstr(s, ".."))
        return report_usage("invalid %s '%s': it must not contain '/' or '..'", what, s);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return report_usage("invalid %s: it contains control characters", what);
    return CLI_OK;
}

int path_check_id(const char *id)
{
    return path_check_segment("job id", id);
}

/* RFC 3986 pchar without escaping: unreserved, '@' and ':' (execution ids use '@'). */
static int plain(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("-._~@:", c) != NULL;
}

void path_segment(buf *out, const char *prefix, const char *seg, const char *suffix)
{
    buf_puts(out, prefix);
    for (const unsigned char *p = (const unsigned char *)seg; *p; p++) {
        if (plain(*p))
            buf_append(out, p, 1);
        else
            buf_printf(out, "%%%02X", *p);
    }
    buf_puts(out, suffix);
}

void path_job(buf *out, const char *id, const char *suffix)
{
    path_segment(out, "/api/v1/jobs/", id, suffix);
}
