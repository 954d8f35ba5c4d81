/* Logging seam. libberth never prints: it hands every log line to the callback the host
 * installs (berth_engine_config.log). The daemon installs one that writes its own logs. */
#ifndef BERTH_LOG_H
#define BERTH_LOG_H

#include "berth/api.h"

typedef enum {
    BERTH_LOG_DEBUG = 0,
    BERTH_LOG_INFO,
    BERTH_LOG_WARNING,
    BERTH_LOG_ERROR,
    BERTH_LOG_FATAL,
} berth_log_level;

/* `msg` is only valid during the call; `file`/`line` name the source that logged. */
typedef void (*berth_log_fn)(berth_log_level level, const char *file, int line,
                             const char *msg, void *userdata);

/* Harbor's level names: "DEBUG", "INFO", "WARNING", "ERROR", "FATAL". Static strings. */
BERTH_API const char *berth_log_level_name(berth_log_level level);

/* Parses a level name case-insensitively. Returns 0 and sets *out, or BERTH_EINVAL. */
BERTH_API int berth_log_level_parse(const char *name, berth_log_level *out);

#endif
