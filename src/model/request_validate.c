/* Harbor's launch-request checks (controller.go validJobReq + LaunchJob), in its order and
 * with its texts; see request.h. */
#include <stdio.h>
#include <string.h>

#include "berth/error.h"
#include "model/request.h"

/* Length of the Unicode White_Space character at s (Go's unicode.IsSpace), else 0. */
static size_t space_len(const unsigned char *s)
{
    if (*s == ' ' || (*s >= '\t' && *s <= '\r'))
        return 1;
    if (s[0] == 0xc2 && (s[1] == 0x85 || s[1] == 0xa0))
        return 2;  /* NEL, NO-BREAK SPACE */
    if (s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80)
        return 3;  /* OGHAM SPACE MARK */
    if (s[0] == 0xe2 && s[1] == 0x80 && s[2] >= 0x80 && s[2] <= 0x8a)
        return 3;  /* U+2000..U+200A */
    if (s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9 || s[2] == 0xaf))
        return 3;  /* LINE/PARAGRAPH SEPARATOR, NARROW NO-BREAK SPACE */
    if (s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f)
        return 3;  /* MEDIUM MATHEMATICAL SPACE */
    if (s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80)
        return 3;  /* IDEOGRAPHIC SPACE */
    return 0;
}

/* Go's utils.IsEmptyStr: nothing left after strings.TrimSpace. */
static bool blank(const char *s)
{
    const unsigned char *u = (const unsigned char *)(s ? s : "");
    size_t k;
    while (*u && (k = space_len(u)) > 0)
        u += k;
    return *u == '\0';
}

/* Writes a fixed detail text and returns rc. */
static int fail(char *err, size_t errlen, int rc, const char *text)
{
    snprintf(err, errlen, "%s", text);
    return rc;
}

/* validJobReq: shape of the request. */
static int check_shape(const berth_request *r, char *err, size_t errlen)
{
    if (!r || !r->has_job)
        return fail(err, errlen, BERTH_EINVAL, "empty job request is not allowed");
    if (blank(r->name))
        return fail(err, errlen, BERTH_EINVAL, "name of job must be specified");
    if (!r->has_metadata)
        return fail(err, errlen, BERTH_EINVAL, "metadata of job is missing");
    if (!berth_kind_valid(r->kind)) {
        snprintf(err, errlen,
                 "job kind '%s' is not supported, only support 'Generic','Scheduled','Periodic'",
                 r->kind ? r->kind : "");
        return BERTH_EINVAL;
    }
    if (!strcmp(r->kind, BERTH_KIND_SCHEDULED) && r->schedule_delay == 0)
        return fail(err, errlen, BERTH_EINVAL,
                    "'schedule_delay' must be specified for Scheduled job");
    if (!strcmp(r->kind, BERTH_KIND_PERIODIC) && blank(r->cron_spec))
        return fail(err, errlen, BERTH_EINVAL,
                    "'cron_spec' must be specified for the Periodic job");
    return 0;
}

static int check_cron(const berth_request *r, const berth_validate_hooks *h, char *err,
                      size_t errlen)
{
    if (!h || !h->cron_check || strcmp(r->kind, BERTH_KIND_PERIODIC) != 0)
        return 0;
    char why[256] = "";
    if (h->cron_check(r->cron_spec, why, sizeof why, h->ud) == 0)
        return 0;
    why[sizeof why - 1] = '\0';
    snprintf(err, errlen, "'cron_spec' is not correctly set: %s: %s", r->cron_spec, why);
    return BERTH_EINVAL;
}

int berth_request_validate(const berth_request *r, const berth_validate_hooks *hooks,
                           char *err, size_t errlen)
{
    int rc = check_shape(r, err, errlen);
    if (rc == 0)
        rc = check_cron(r, hooks, err, errlen);
    if (rc)
        return rc;
    if (hooks && hooks->known_job && !hooks->known_job(r->name, hooks->ud)) {
        snprintf(err, errlen, "job with name '%s' is unknown", r->name);
        return BERTH_EUNKNOWN;
    }
    if (hooks && hooks->validate_params) {
        if (errlen)
            err[0] = '\0';
        if (hooks->validate_params(r->name, r->parameters, err, errlen, hooks->ud) != 0)
            return BERTH_EINVAL;
    }
    return 0;
}
