/* Formats a log line and hands it to the host's callback; see log.h. */
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

#include "berth/error.h"

static const char *level_names[] = {"DEBUG", "INFO", "WARNING", "ERROR", "FATAL"};

const char *berth_log_level_name(berth_log_level level)
{
    if ((unsigned)level > BERTH_LOG_FATAL)
        return "UNKNOWN";
    return level_names[level];
}

int berth_log_level_parse(const char *name, berth_log_level *out)
{
    for (unsigned i = 0; name && i <= BERTH_LOG_FATAL; i++) {
        if (strcasecmp(name, level_names[i]) == 0) {
            *out = (berth_log_level)i;
            return 0;
        }
    }
    return BERTH_EINVAL;
}

void berth__log(const berth_logger *lg, berth_log_level lvl, const char *file, int line,
                const char *fmt, ...)
{
    if (!lg || !lg->fn || lvl < lg->min)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    lg->fn(lvl, file, line, msg, lg->userdata);
}
