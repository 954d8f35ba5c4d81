/* Glue the libmicrohttpd test servers share (hook_receiver, http_fake): gathering a request
 * body across the access handler's calls, and freeing it when the request ends. */
#ifndef BERTH_TEST_MHD_UPLOAD_H
#define BERTH_TEST_MHD_UPLOAD_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct mhd_upload {
    char *p;        /* the body so far, NUL-terminated (NULL while empty) */
    size_t len;
} mhd_upload;

/* Call first in an access handler with its state, data and size. False: return MHD_YES
 * now (headers seen or a piece of body stored). True: the body is complete in *out. */
bool mhd_upload_step(void **state, const char *data, size_t *size, mhd_upload **out);
/* MHD_OPTION_NOTIFY_COMPLETED callback freeing the upload. */
void mhd_upload_done(void *cls, struct MHD_Connection *c, void **state,
                     enum MHD_RequestTerminationCode code);

#endif
