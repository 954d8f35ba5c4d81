/* Job ids in URLs (path.h). Harbor's router never matches a '/' inside {job_id} and
 * redirects paths with ".." (spec §2.4), so such ids are refused here rather than sent. */
#include "cli/path.h"

#include <string.h>

#include "cli/cli.h"
#include "cli/report.h"

int path_check_id(const char *id)
{
    size_t n = strlen(id);
    if (!n)
        return report_usage("the job id is empty");
    if (n > PATH_ID_MAX)
        return report_usage("the job id is longer than %d bytes", PATH_ID_MAX);
    if (strchr(id, '/') || strstr(id, ".."))
        return report_usage("invalid job id '%s': it must not contain '/' or '..'", id);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)id[i] < 0x20 || id[i] == 0x7f)
            return report_usage("invalid job id: it contains control characters");
    return CLI_OK;
}

/* RFC 3986 pchar without escaping: unreserved, '@' and ':' (execution ids use '@'). */
static int plain(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("-._~@:", c) != NULL;
}

void path_job(buf *out, const char *id, const char *suffix)
{
    buf_puts(out, "/api/v1/jobs/");
    for (const unsigned char *p = (const unsigned char *)id; *p; p++) {
        if (plain(*p))
            buf_append(out, p, 1);
        else
            buf_printf(out, "%%%02X", *p);
    }
    buf_puts(out, suffix);
}
