/* Serving the embedded dashboard; see ui.h. */
#include <string.h>

#include "server/ui.h"

bool ui_wants(const http_req *req)
{
    return strcmp(req->path, "/ui") == 0 || strncmp(req->path, "/ui/", 4) == 0;
}

static const ui_asset *find(const char *name)
{
    for (size_t i = 0; i < ui_nassets; i++)
        if (strcmp(ui_assets[i].name, name) == 0)
            return &ui_assets[i];
    return NULL;
}

static void security_headers(http_resp *resp)
{
    http_resp_header(resp, "Content-Security-Policy", UI_CSP);
    http_resp_header(resp, "X-Content-Type-Options", "nosniff");
    http_resp_header(resp, "Referrer-Policy", "no-referrer");
    http_resp_header(resp, "X-Frame-Options", "DENY");
    http_resp_header(resp, "Cache-Control", "no-cache");
}

void ui_serve(const http_req *req, http_resp *resp)
{
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        resp->status = 405;
        http_resp_header(resp, "Allow", "GET, HEAD");
        return;
    }
    if (strcmp(req->path, "/ui") == 0) {
        resp->status = 301;
        http_resp_header(resp, "Location", "/ui/");
        return;
    }
    const char *name = req->path + 4;
    const ui_asset *a = find(*name ? name : "index.html");
    security_headers(resp);
    if (!a) {
        http_resp_text(resp, 404, "404 page not found\n");
        return;
    }
    resp->status = 200;
    http_resp_header(resp, "Content-Type", a->type);
    buf_append(&resp->body, a->data, a->len);
}
