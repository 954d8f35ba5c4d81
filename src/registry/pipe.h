/* The streamed blob copy between two registries (pipe.c), shared by blob.c's monolithic and
 * chunked copies. The caller builds both requests (URLs, authorised header lists) and owns
 * every pointer in reg_pipe; the pipe owns only its curl handles and its ring. */
#ifndef BERTH_REGISTRY_PIPE_H
#define BERTH_REGISTRY_PIPE_H

#include "registry/internal.h"

typedef struct reg_pipe {
    reg_client *src, *dst;
    const char *src_url;
    struct curl_slist *src_headers;   /* Authorization, Range, Accept-Encoding */
    const char *dst_url;
    const char *dst_method;           /* "PUT" or "PATCH" */
    struct curl_slist *dst_headers;   /* Authorization, Content-Range, "Expect:" */
    const char *digest;
    bool verify;                      /* hash the bytes (whole blobs only) */
    int64_t size;                     /* the descriptor's size (no Content-Length) */
    int64_t range_start, range_end;   /* inclusive; range_end -1: the whole blob */
    reg_limiter *lim;                 /* NULL: unlimited */
    reg_resp *src_resp, *dst_resp;    /* initialised by the caller */
    /* out */
    bool src_failed;                  /* the failure was on the source side */
    char hash_got[REG_DIGEST_MAX];
} reg_pipe;

/* Moves the bytes; 0, or a BERTH_E* code with the text on p->dst (BERTH_ESTATE: stopped). */
int reg__pipe(reg_pipe *p);

#endif
