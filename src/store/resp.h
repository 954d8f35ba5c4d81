/* Redis's request encoding for a command vector: a RESP array of bulk strings, the bytes
 * hiredis's redisFormatCommandArgv makes, without its sprintf per argument. A batch of
 * launches sends the enqueue script about 30 arguments per job, and formatting them with
 * sprintf was a tenth of berthd's instructions per HTTP launch (callgrind): here each
 * length is written by a plain digit loop. No state, thread-safe. */
#ifndef BERTH_STORE_RESP_H
#define BERTH_STORE_RESP_H

#include <stddef.h>

/* Sets *out to the encoded command (the caller frees it with berth_free) and returns its
 * length, or -1 when memory ran out (*out NULL). */
long resp_format_argv(char **out, int argc, const char *const *argv, const size_t *lens);

#endif
