/* The job names the service runs, read from GET /api/v1/stats (every pool's job_names),
 * for errors that say what to do: `berth submit NOPE` lists the names it could have used. */
#ifndef BERTH_CLI_NAMES_H
#define BERTH_CLI_NAMES_H

#include "cli/client.h"

/* After a refused launch of name: when no pool runs name, prints on stderr the names the
 * pools run. Says nothing when name is known or the stats cannot be read. */
void names_hint_unknown(client *c, const char *name);

#endif
