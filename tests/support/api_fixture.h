/* Fixture of the black-box API tests (label e2e): a private redis-server, an engine with
 * the DEMO (short hold) and SCHEDULER jobs writing job logs to <redis dir>/logs, the API
 * server on 127.0.0.1 port 0, and a keep-alive client — plus the request and assertion
 * helpers those tests share. One fixture per test program (the global `af`). */
#ifndef BERTH_TEST_API_FIXTURE_H
#define BERTH_TEST_API_FIXTURE_H

#include "berth/berth.h"
#include "http_client.h"
#include "redis_fixture.h"
#include "server/api.h"

#define API_SECRET "s3cr3t-for-tests"
#define API_AUTH "Harbor-Secret " API_SECRET
#define API_MAX_BODY 65536      /* the fixture server's body cap */
#define API_LOG_TAIL 4096       /* its max_retrieve_bytes */
#define API_DEMO_HOLD_MS 300

typedef struct api_fixture {
    redis_fixture rf;
    berth_engine *eng;      /* started, with its periodic enqueuer; namespace "t" */
    api_server *api;
    hc cli;                 /* client of api */
    char logdir[256];
    char redis_url[64];     /* what /api/v1/config reports */
} api_fixture;

extern api_fixture af;
/* Set before api_fixture_setup to register more job types on the fixture's engine. */
extern int (*api_fixture_extra_jobs)(berth_engine *e);

/* cmocka group setup/teardown building and freeing af. */
int api_fixture_setup(void **state);
int api_fixture_teardown(void **state);

/* The fixture server's context, for engine e (to start variants of the server). */
api_ctx api_fixture_ctx(berth_engine *e);
/* Starts a server for ctx on 127.0.0.1 port 0 (asserts it started). */
api_server *api_fixture_server(const api_ctx *ctx);

/* GET / POST through af.cli with API_AUTH (asserts the transport worked). */
hc_resp af_get(const char *path);
hc_resp af_post(const char *path, const char *body);
/* Asserts status and exact body (printing both on mismatch), then frees r. */
void af_expect(hc_resp *r, long status, const char *body);
/* Asserts header name has value want (NULL: absent). */
void af_expect_header(const hc_resp *r, const char *name, const char *want);
/* Number of {t}:job_stats:* keys. */
long long af_count_stats(void);
/* The body as {"job":{...}} (asserts it parses); the caller frees with berth_stats_free. */
berth_stats *af_parse_stats(const hc_resp *r);
/* The job's log through GET /api/v1/jobs/{id}/log, "" while there is none (404); the
 * caller frees it with free. */
char *af_job_log(const char *id);
/* Asserts the job's log holds needle (printing the log when it does not). */
void af_expect_log(const char *id, const char *needle);
/* How many times needle occurs in the job's log (0 while there is none). */
int af_count_in_log(const char *id, const char *needle);
/* POSTs a launch body, asserts 202, returns the job id (the caller frees with free). */
char *af_launch(const char *body);

/* Waiting through the API (wait_until; each returns as soon as the condition holds):
 * af_job_status reads GET /api/v1/jobs/{id}'s status into out (asserts it answers 200);
 * af_wait_status waits until it is want (false, with the last status on stderr, at ms);
 * af_wait_get GETs path until it answers 200 with needle in the body and returns that
 * response, or the last one after ms (the caller checks and frees it);
 * af_wait_log_count waits until needle occurs at least n times in the job's log and
 * returns the last count. */
void af_job_status(const char *id, char *out, size_t outlen);
bool af_wait_status(const char *id, const char *want, int ms);
hc_resp af_wait_get(const char *path, const char *needle, int ms);
int af_wait_log_count(const char *id, const char *needle, int n, int ms);

#endif
