/* P2P_PREHEAT's parameters (spec harbor-jobs §11.1; Harbor's preheat/job.go parseParam*):
 * `provider` and `image` are JSON strings holding the provider instance and the image to
 * preheat. Both are decoded as Go decodes them into provider.Instance and
 * provider.PreheatImage, and checked with Harbor's rules and texts, in Harbor's order.
 *
 * Ownership: ph_params keeps the two decoded documents; every string and object in it
 * points into them and lives until ph_params_free. */
#ifndef BERTH_JOBS_PREHEAT_PARAMS_H
#define BERTH_JOBS_PREHEAT_PARAMS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct ph_provider {
    const char *name, *vendor, *endpoint, *auth_mode;
    const json_t *auth_info;     /* object of strings, or NULL (Go's nil map) */
    bool insecure;
} ph_provider;

typedef struct ph_image {
    const char *type, *url, *image, *tag, *digest;
    const json_t *headers;       /* object, or NULL */
    const json_t *extra_attrs;   /* object, or NULL */
} ph_image;

typedef struct ph_params {
    json_t *provider_doc, *image_doc;
    ph_provider provider;
    ph_image image;
} ph_params;

/* Parses and validates. 0, or BERTH_EINVAL with Harbor's text in err (`missing job
 * parameter 'provider'`, `parse job parameter error: …`, `missing vendor of preheat
 * provider`, …). Free p with ph_params_free in either case. */
int ph_params_parse(const char *params_json, ph_params *p, char *err, size_t errlen);
void ph_params_free(ph_params *p);

#endif
