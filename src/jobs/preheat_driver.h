/* The preheat provider drivers (spec harbor-jobs §11.3; Harbor's preheat/provider/
 * dragonfly.go, kraken.go, driver.go): each knows its health path, how to ask for a
 * preheat and how to read its progress. Their results are a ph_status, printed as
 * Harbor's PreheatingStatus.String().
 *
 * The drivers are static tables (no state); a ph_status owns its buffers
 * (ph_status_free). */
#ifndef BERTH_JOBS_PREHEAT_DRIVER_H
#define BERTH_JOBS_PREHEAT_DRIVER_H

#include "jobs/preheat_client.h"
#include "jobs/preheat_params.h"
#include "util/buf.h"

#define PH_PENDING "PENDING"
#define PH_RUNNING "RUNNING"
#define PH_SUCCESS "SUCCESS"
#define PH_FAIL "FAIL"

typedef struct ph_status {
    char task_id[64];
    const char *status;       /* one of PH_* (static) */
    buf message;              /* Dragonfly's result table on success */
    buf error;                /* the provider's errors on failure */
    char start[48], finish[48];   /* RFC 3339, or "" */
} ph_status;

typedef struct ph_driver {
    const char *vendor;       /* "dragonfly", "kraken" */
    const char *health_path;  /* "/healthy", "/health" */
    /* Asks the provider to preheat p's image; st gets the task. 0, JHTTP_STOPPED, or an
     * error code with Harbor's text in err. */
    int (*preheat)(const ph_client *c, const ph_params *p, ph_status *st, char *err,
                   size_t errlen);
    /* The task's progress. Same returns. */
    int (*check)(const ph_client *c, const ph_params *p, const char *task_id, ph_status *st,
                 char *err, size_t errlen);
} ph_driver;

/* The driver of a vendor, or NULL ("No driver registered for provider <vendor>"). */
const ph_driver *ph_driver_find(const char *vendor);

void ph_status_init(ph_status *st);
void ph_status_free(ph_status *st);
/* Harbor's String(): `Task [<id>] is <status lower-case>` and `, start time=<start>`,
 * ` with error: <err>` or ` with duration: <d>`. */
void ph_status_string(const ph_status *st, buf *out);
/* Go's time.Duration.String() of ms milliseconds ("30m1s", "500ms", "0s"). */
void ph_go_duration(long long ms, char *out, size_t outlen);

/* The endpoint without its trailing '/' followed by path (Harbor: TrimSuffix + path). */
void ph_endpoint_url(const ph_provider *p, const char *path, char *out, size_t outlen);

/* The drivers (preheat_dragonfly.c, preheat_kraken.c). */
extern const ph_driver ph_dragonfly;
extern const ph_driver ph_kraken;

#endif
