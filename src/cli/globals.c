/* Global flags and environment (globals.h). */
#include "cli/globals.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/report.h"
#include "util/alloc.h"

enum { G_ADDR = 1, G_SECRET, G_JSON, G_TIMEOUT, G_HELP, G_VERSION };

static const args_opt global_opts[] = {
    {"--addr", NULL, true, G_ADDR},       {"--secret", NULL, true, G_SECRET},
    {"--json", NULL, false, G_JSON},      {"--timeout", NULL, true, G_TIMEOUT},
    {"--help", "-h", false, G_HELP},      {"--version", NULL, false, G_VERSION},
    {NULL, NULL, false, 0},
};

static const char *env_nonempty(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* Copies addr without trailing '/' into cfg; it must be an http(s) URL. */
static int set_addr(cli_cfg *cfg, const char *addr)
{
    size_t n = strlen(addr);
    while (n && addr[n - 1] == '/')
        n--;
    if (strncmp(addr, "http://", 7) && strncmp(addr, "https://", 8))
        return report_usage("address '%s' must start with http:// or https://", addr);
    if (n >= sizeof cfg->addr)
        return report_usage("address is longer than %d bytes", CLI_ADDR_MAX - 1);
    memcpy(cfg->addr, addr, n);
    cfg->addr[n] = '\0';
    return CLI_OK;
}

static int set_timeout(cli_cfg *cfg, const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (!*s || *end || !isfinite(v) || v <= 0 || v > 86400)
        return report_usage("--timeout wants seconds in (0, 86400], not '%s'", s);
    cfg->timeout_ms = (long)ceil(v * 1000);
    return CLI_OK;
}

/* Applies one recognised global flag. */
static int apply(globals_parsed *p, int id, const char *val, const char **addr)
{
    switch (id) {
    case G_ADDR: *addr = val; return CLI_OK;
    case G_SECRET: p->cfg.secret = val; return CLI_OK;
    case G_JSON: p->cfg.json = true; return CLI_OK;
    case G_TIMEOUT: return set_timeout(&p->cfg, val);
    case G_HELP: p->help = true; return CLI_OK;
    default: p->version = true; return CLI_OK;
    }
}

static int resolve(globals_parsed *p, const char *addr)
{
    if (!addr)
        addr = env_nonempty("BERTH_ADDR");
    if (p->cfg.secret)
        p->cfg.secret_from = "--secret";
    if (!p->cfg.secret && (p->cfg.secret = env_nonempty("BERTH_SECRET")))
        p->cfg.secret_from = "BERTH_SECRET";
    if (!p->cfg.secret && (p->cfg.secret = env_nonempty("CORE_SECRET")))
        p->cfg.secret_from = "CORE_SECRET";
    if (p->cfg.secret && strpbrk(p->cfg.secret, "\r\n"))
        return report_usage("the secret must not contain line breaks");
    return set_addr(&p->cfg, addr ? addr : CLI_DEFAULT_ADDR);
}

int globals_parse(int argc, char **argv, globals_parsed *p)
{
    memset(p, 0, sizeof *p);
    p->cfg.timeout_ms = CLI_DEFAULT_TIMEOUT_MS;
    p->argv = berth_calloc((size_t)argc + 1, sizeof *p->argv);
    const char *addr = NULL, *val;
    args_iter it;
    args_init(&it, argc, argv, 1);
    it.keep_unknown = true;
    int id;
    while ((id = args_next(&it, global_opts, &val)) != ARGS_END) {
        if (id == ARGS_ERR)
            return report_usage("%s", it.err);
        if (id == ARGS_POS) {
            p->argv[p->argc++] = (char *)val;
            continue;
        }
        int rc = apply(p, id, val, &addr);
        if (rc)
            return rc;
    }
    return resolve(p, addr);
}

void globals_free(globals_parsed *p)
{
    berth_free(p->argv);
    p->argv = NULL;
}
