/* See mhd_upload.h. */
#include "mhd_upload.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

bool mhd_upload_step(void **state, const char *data, size_t *size, mhd_upload **out)
{
    mhd_upload *u = *state;
    if (!u) {
        *state = calloc(1, sizeof *u);
        return false;
    }
    if (*size) {
        u->p = realloc(u->p, u->len + *size + 1);
        memcpy(u->p + u->len, data, *size);
        u->len += *size;
        u->p[u->len] = '\0';
        *size = 0;
        return false;
    }
    *out = u;
    return true;
}

void mhd_upload_done(void *cls, struct MHD_Connection *c, void **state,
                     enum MHD_RequestTerminationCode code)
{
    (void)cls, (void)c, (void)code;
    mhd_upload *u = *state;
    if (u)
        free(u->p);
    free(u);
    *state = NULL;
}

