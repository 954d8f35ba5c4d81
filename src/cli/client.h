/* The HTTP side of the CLI: one libcurl easy handle reused for every request of a command
 * (keep-alive across `get --watch` polls).
 *
 * Every request gets `Authorization: Harbor-Secret <secret>` when a secret is set, the
 * configured timeout (whole request; for streams only the connect phase), HTTP/HTTPS only,
 * no redirects, no signals. The reply body is kept in a buf capped at CLI_REPLY_MAX; with a
 * sink, a 2xx body is written to the sink as it arrives instead (error bodies are still
 * kept, capped, for the error line). The Total-Count and Next-Cursor headers are kept. */
#ifndef BERTH_CLI_CLIENT_H
#define BERTH_CLI_CLIENT_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>

#include "cli/cli.h"
#include "util/buf.h"

typedef struct client {
    CURL *curl;
    const cli_cfg *cfg;
    struct curl_slist *headers;       /* GET: Accept, Authorization */
    struct curl_slist *post_headers;  /* POST: those plus Content-Type: application/json */
    char errbuf[CURL_ERROR_SIZE]; /* curl's text for the last failure */
} client;

typedef struct client_resp {
    long status;               /* HTTP status; 0 when no reply arrived */
    buf body;                  /* reply body (not the streamed part), NUL-terminated */
    bool truncated;            /* the body passed its cap: the rest was dropped */
    char total_count[24];      /* Total-Count header, "" when absent */
    char next_cursor[24];      /* Next-Cursor header, "" when absent */
    FILE *sink;                /* set by the caller: a 2xx body goes here as it arrives */
    size_t sink_max;           /* bytes passed to the sink before truncating; 0 = no cap */
    size_t sunk;               /* bytes passed to the sink so far */
} client_resp;

/* CLI_OK, or CLI_SERVER after printing why curl could not start. */
int client_init(client *c, const cli_cfg *cfg);
void client_cleanup(client *c);

/* Clears r for a request (keeps the caller's sink settings). */
void client_resp_init(client_resp *r, FILE *sink, size_t sink_max);
void client_resp_free(client_resp *r);

/* Sends method to addr + path_query (already escaped) with body (JSON, may be NULL).
 * stream: no overall time limit, only the connect timeout. CLI_OK when a reply arrived,
 * whatever its status (or when the sink cap cut it short: r->truncated); CLI_CONNECT after
 * printing the transport error. */
int client_do(client *c, const char *method, const char *path_query, const char *body,
              bool stream, client_resp *r);

/* client_do, then for a non-2xx status prints the error line. Returns CLI_OK only for 2xx;
 * a 2xx body over its cap (no sink) is CLI_SERVER. */
int client_call(client *c, const char *method, const char *path_query, const char *body,
                client_resp *r);

/* One request on a client of its own: client_init, client_call, client_cleanup. */
int client_run(const cli_cfg *cfg, const char *method, const char *path_query,
               const char *body, client_resp *r);

#endif
