/* The dashboard's static files (src/web, embedded at build time by cmake/embed_web.cmake)
 * served under /ui/ (docs/dashboard.md).
 *
 * Static files need no secret: they hold no data. Every data call the page makes goes to
 * /api/v1 with `Authorization: Harbor-Secret <secret>` and is authenticated there. Each
 * reply carries a strict Content-Security-Policy (scripts, styles and fetches from this
 * origin only; no inline script or style, no frames, no forms posting elsewhere), nosniff,
 * no referrer and no caching, so a stale or injected page cannot run. */
#ifndef BERTH_SERVER_UI_H
#define BERTH_SERVER_UI_H

#include <stdbool.h>
#include <stddef.h>

#include "server/http.h"

typedef struct ui_asset {
    const char *name;            /* file name under /ui/, e.g. "app.js" */
    const char *type;            /* Content-Type */
    const unsigned char *data;
    size_t len;
} ui_asset;

extern const ui_asset ui_assets[];   /* generated */
extern const size_t ui_nassets;

#define UI_CSP                                                                                   \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "                 \
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

/* Is this request for the dashboard (path "/ui" or under "/ui/")? */
bool ui_wants(const http_req *req);
/* Answers it: "/ui" → 301 to "/ui/"; "/ui/" → index.html; a known file → 200 with its type
 * and the security headers above; anything else under /ui/ → 404; a method other than GET
 * or HEAD → 405. */
void ui_serve(const http_req *req, http_resp *resp);

#endif
