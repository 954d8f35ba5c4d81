/* Harbor's internal TLS (issue 13 item 3) on the real berthd binary, with certificates this
 * test makes with openssl: a CA, berthd's certificate (CN berthd, IP 127.0.0.1), a core
 * client's, a receiver's, and a rogue one signed by another CA.
 *   - INTERNAL_VERIFY_CLIENT_CERT=true and https: a client without a certificate, or with
 *     the rogue one, fails the TLS handshake; the core client's is served. Without the
 *     variable no certificate is asked for.
 *   - INTERNAL_TLS_ENABLED=true: status hooks and a WEBHOOK job reach an HTTPS receiver that
 *     trusts only the CA, requires client certificates and checks them itself
 *     (tests/support/http_fake.h, hf_start_mtls); it sees berthd's certificate. berthd trusts the
 *     receiver through INTERNAL_TLS_TRUST_CA_PATH (the CA is in no system store here).
 *   - the library's other calls to Harbor components (core's internalconfig, a scanner
 *     adapter, the token service through jhttp, a registry) present it too, in this process,
 *     only while the variables say so.
 *   - bad settings (a missing file, a key that is no key, a key of another certificate, an
 *     unset path, a CA file without a certificate) refuse the start: exit 2, one line
 *     naming the setting and the file. */
#include "test.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "berthd_proc.h"
#include "http_client.h"
#include "cli_run.h"
#include "db/db.h"
#include "http_fake.h"
#include "jobs/jhttp.h"
#include "redis_fixture.h"
#include "registry/registry.h"
#include "scanner/scanner.h"
#include "wait.h"

#define SECRET "Harbor-Secret tls-secret"

static char tmp[64];
static pid_t child;   /* the berthd of the running test: killed by after_each if it failed */

static void pathf(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", tmp, name);
}

/* The certificates, made once for the group. */
static int setup(void **state)
{
    (void)state;
    snprintf(tmp, sizeof tmp, "/tmp/berth-itls-XXXXXX");
    if (!mkdtemp(tmp))
        return -1;
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "cd %s && o() { openssl \"$@\" 2>/dev/null; } && "
             "ec='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes' && "
             "o req -x509 $ec -keyout ca.key -out ca.crt -days 1 -subj /CN=itls-ca && "
             "o req -x509 $ec -keyout other.key -out other.crt -days 1 -subj /CN=other-ca && "
             "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > san.ext && "
             "for n in berthd core receiver:ca rogue:other; do c=${n%%%%:*}; "
             "  ca=${n#*:}; [ \"$ca\" = \"$n\" ] && ca=ca; "
             "  o req $ec -keyout $c.key -out $c.csr -subj /CN=$c && "
             "  o x509 -req -in $c.csr -CA $ca.crt -CAkey $ca.key -CAcreateserial "
             "    -out $c.crt -days 1 -extfile san.ext || exit 1; done && "
             "echo 'not a key' > garbage.pem",
             tmp);
    return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    return system(cmd);
}

/* Writes a config (embedded Redis in <tmp>/<name>) and returns berthd's port. */
static int write_config(const char *name, bool https, char *path, size_t pathlen)
{
    int port = redis_fixture_free_port();
    char crt[128], key[128];
    pathf(crt, sizeof crt, "berthd.crt");
    pathf(key, sizeof key, "berthd.key");
    snprintf(path, pathlen, "%s/%s.yml", tmp, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "protocol: %s\nport: %d\n", https ? "https" : "http", port);
    if (https)
        fprintf(f, "https_config:\n  cert: %s\n  key: %s\n", crt, key);
    fprintf(f, "worker_pool:\n  workers: 2\n  backend: redis\n  redis_pool:\n    namespace: itls\n"
               "job_loggers:\n  - name: STD_OUTPUT\n    level: INFO\n"
               "loggers:\n  - name: STD_OUTPUT\n    level: INFO\n"
               "berth:\n  data_dir: %s/%s\n  listen_address: \"127.0.0.1\"\n  grace_seconds: 1\n",
            tmp, name);
    fclose(f);
    return port;
}

/* berthd with config and env ("NAME=value" strings; a value of "<tmp>/x" may be given as
 * "@x"), stderr on *errfd. */
static pid_t spawn(const char *config, const char *const *env, int *errfd)
{
    char expanded[8][320];
    const char *list[9];
    size_t n = 0;
    for (; env && env[n] && n < 8; n++) {
        const char *eq = strchr(env[n], '=');
        if (eq[1] == '@')
            snprintf(expanded[n], sizeof expanded[n], "%.*s%s/%s", (int)(eq + 1 - env[n]),
                     env[n], tmp, eq + 2);
        else
            snprintf(expanded[n], sizeof expanded[n], "%s", env[n]);
        list[n] = expanded[n];
    }
    assert_true(!env || !env[n]);
    list[n] = NULL;
    const char *argv[] = {"-c", config, NULL};
    berthd_proc_opts o = {.argv = argv, .secret = "tls-secret", .hold_ms = "50", .env = list,
                          .out = BERTHD_NULL, .err = BERTHD_PIPE};
    child = berthd_spawn(&o, errfd);
    return child;
}

static void stop(pid_t pid, int fd)
{
    kill(pid, SIGTERM);
    child = 0;
    assert_int_equal(berthd_reap(pid, 15000), 0);
    close(fd);
}

static int after_each(void **state)
{
    (void)state;
    if (child > 0) {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
    }
    child = 0;
    static const char *const vars[] = {"INTERNAL_TLS_ENABLED", "INTERNAL_TLS_CERT_PATH",
                                       "INTERNAL_TLS_KEY_PATH", "INTERNAL_TLS_TRUST_CA_PATH"};
    for (size_t i = 0; i < 4; i++)   /* test_library_calls_present_cert's, if it failed */
        unsetenv(vars[i]);
    return 0;
}

/* ---- an HTTPS client of berthd ------------------------------------------------------- */

typedef struct call {
    int port;
    const char *cert, *key;   /* client certificate (names in tmp), or NULL */
    bool tls12;               /* TLS 1.2 only: the handshake is over before any request */
    CURLcode res;
    long status;              /* 0 when no answer */
} call;

static size_t drop(char *p, size_t size, size_t n, void *ud)
{
    (void)p, (void)ud;
    return size * n;
}

static bool get_stats(void *arg)
{
    call *c = arg;
    char url[96], ca[128], crt[128], key[128];
    snprintf(url, sizeof url, "https://127.0.0.1:%d/api/v1/stats", c->port);
    pathf(ca, sizeof ca, "ca.crt");
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CAINFO, ca);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, drop);
    if (c->cert) {
        pathf(crt, sizeof crt, c->cert);
        pathf(key, sizeof key, c->key);
        curl_easy_setopt(h, CURLOPT_SSLCERT, crt);
        curl_easy_setopt(h, CURLOPT_SSLKEY, key);
    }
    if (c->tls12)
        curl_easy_setopt(h, CURLOPT_SSLVERSION,
                         (long)(CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2));
    c->status = 0;
    c->res = curl_easy_perform(h);
    if (c->res == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c->status);
    curl_easy_cleanup(h);
    return c->status == 200;
}

static const char *const verify_env[] = {
    "INTERNAL_VERIFY_CLIENT_CERT=True", "INTERNAL_TLS_CERT_PATH=@berthd.crt",
    "INTERNAL_TLS_KEY_PATH=@berthd.key", "INTERNAL_TLS_TRUST_CA_PATH=@ca.crt", NULL};

/* A client refused: no HTTP answer at all, whatever the TLS version. */
static void expect_refused(int port, const char *cert, const char *key)
{
    for (int v = 0; v < 2; v++) {
        call c = {.port = port, .cert = cert, .key = key, .tls12 = v == 1};
        assert_false(get_stats(&c));
        assert_int_equal(c.status, 0);
        assert_int_not_equal(c.res, CURLE_OK);
        if (c.tls12)   /* in TLS 1.2 the client certificate is part of the handshake */
            assert_int_equal(c.res, CURLE_SSL_CONNECT_ERROR);
    }
}

/* The berth CLI reaches an mTLS berthd with the same variables, and not without them. */
static void expect_cli(int port)
{
    char addr[64], crt[160], key[160], ca[160];
    snprintf(addr, sizeof addr, "https://127.0.0.1:%d", port);
    snprintf(crt, sizeof crt, "INTERNAL_TLS_CERT_PATH=%s/core.crt", tmp);
    snprintf(key, sizeof key, "INTERNAL_TLS_KEY_PATH=%s/core.key", tmp);
    snprintf(ca, sizeof ca, "INTERNAL_TLS_TRUST_CA_PATH=%s/ca.crt", tmp);
    const char *const env[] = {"INTERNAL_TLS_ENABLED=true", crt, key, ca, NULL};
    cli_run_out r = cli_run_env(env, NULL, ARGS("--addr", addr, "--secret", "tls-secret", "stats"));
    if (r.code != 0)
        fprintf(stderr, "berth: %s\n", r.err.p ? r.err.p : "");
    assert_int_equal(r.code, 0);
    cli_run_free(&r);
    const char *const no_cert[] = {"INTERNAL_TLS_ENABLED=true", ca, NULL};   /* trusts, no cert */
    r = cli_run_env(no_cert, NULL, ARGS("--addr", addr, "--secret", "tls-secret", "stats"));
    assert_int_not_equal(r.code, 0);
    cli_run_free(&r);
}

static void test_client_cert_required(void **state)
{
    (void)state;
    char cfg[128];
    int port = write_config("verify", true, cfg, sizeof cfg);
    int fd;
    pid_t pid = spawn(cfg, verify_env, &fd);
    call ok = {.port = port, .cert = "core.crt", .key = "core.key"};
    assert_true(wait_until_every(get_stats, &ok, 15000, 50));   /* up, and serving core */
    expect_refused(port, NULL, NULL);                  /* no certificate */
    expect_refused(port, "rogue.crt", "rogue.key");    /* signed by another CA */
    expect_refused(port, "other.crt", "other.key");    /* self-signed, untrusted */
    ok.tls12 = true;
    assert_true(get_stats(&ok));                      /* the CA's client, TLS 1.2 too */
    expect_cli(port);
    stop(pid, fd);
}

/* Without INTERNAL_VERIFY_CLIENT_CERT (here "false") nobody is asked for a certificate. */
static void test_no_verify_no_cert_needed(void **state)
{
    (void)state;
    char cfg[128];
    int port = write_config("noverify", true, cfg, sizeof cfg);
    const char *const env[] = {"INTERNAL_VERIFY_CLIENT_CERT=false", NULL};
    int fd;
    pid_t pid = spawn(cfg, env, &fd);
    call anon = {.port = port};
    assert_true(wait_until_every(get_stats, &anon, 15000, 50));
    stop(pid, fd);
}

/* ---- berthd's outgoing calls present its certificate --------------------------------- */

/* The receiver a Harbor component with INTERNAL_VERIFY_CLIENT_CERT would be: the CA's
 * certificate, client certificates of the CA required (http_fake.h). */
static http_fake *start_receiver(void)
{
    char crt[128], key[128], ca[128];
    pathf(crt, sizeof crt, "receiver.crt");
    pathf(key, sizeof key, "receiver.key");
    pathf(ca, sizeof ca, "ca.crt");
    http_fake *rx = hf_start_mtls(crt, key, ca, NULL, NULL);
    assert_non_null(rx);
    return rx;
}

static char *launch(int port, const char *name, const char *params, const char *hook)
{
    char body[1024];
    snprintf(body, sizeof body, "{\"job\":{\"name\":\"%s\",\"parameters\":%s,\"metadata\":"
             "{\"kind\":\"Generic\"},\"status_hook\":\"%s\"}}", name, params, hook);
    hc c;
    hc_init(&c, port);
    hc_resp r;
    assert_int_equal(hc_post(&c, "/api/v1/jobs", SECRET, body, &r), 0);
    assert_int_equal(r.status, 202);
    char *id = strndup(strstr(r.body, "\"id\":\"") + 6, 24);
    hc_resp_free(&r);
    hc_cleanup(&c);
    return id;
}

/* Request i's body holds needle and came with berthd's certificate. */
static void expect_from_berthd(http_fake *rx, size_t i, const char *needle)
{
    hf_req r;
    assert_int_equal(hf_get(rx, i, &r), 0);
    assert_string_equal(r.client_cn, "berthd");
    if (!strstr(r.body, needle))
        fprintf(stderr, "request %zu: %s\n", i, r.body);
    assert_non_null(strstr(r.body, needle));
    hf_req_free(&r);
}

static bool got_success(void *arg)
{
    http_fake *rx = arg;
    bool found = false;
    hf_req r;
    for (size_t i = 0; !found && hf_get(rx, i, &r) == 0; i++) {
        found = strstr(r.body, "\"status\":\"Success\"") != NULL;
        hf_req_free(&r);
    }
    return found;
}

static void test_outgoing_calls_present_cert(void **state)
{
    (void)state;
    http_fake *rx = start_receiver();
    char cfg[128];
    int port = write_config("hooks", false, cfg, sizeof cfg);
    const char *const env[] = {
        "INTERNAL_TLS_ENABLED=true", "INTERNAL_TLS_CERT_PATH=@berthd.crt",
        "INTERNAL_TLS_KEY_PATH=@berthd.key", "INTERNAL_TLS_TRUST_CA_PATH=@ca.crt", NULL};
    int fd;
    pid_t pid = spawn(cfg, env, &fd);
    assert_true(hc_wait_healthy(port, 15000));
    char hook[96];
    snprintf(hook, sizeof hook, "https://127.0.0.1:%d/service/notifications/jobs", hf_port(rx));
    char *id = launch(port, "DEMO", "{\"image\":\"demo:1\"}", hook);
    /* Running, then Success (check-ins may come between) */
    assert_true(wait_until(got_success, rx, 20000));
    char want[64];
    snprintf(want, sizeof want, "\"job_id\":\"%s\"", id);
    size_t hooks = hf_count(rx);
    for (size_t i = 0; i < hooks; i++)
        expect_from_berthd(rx, i, want);
    /* A WEBHOOK job (Harbor's secure transport) to the same receiver */
    char params[512];
    snprintf(params, sizeof params, "{\"payload\":\"{\\\"type\\\":\\\"PUSH_ARTIFACT\\\"}\","
             "\"address\":\"https://127.0.0.1:%d/hook\",\"skip_cert_verify\":false}",
             hf_port(rx));
    char *wid = launch(port, "WEBHOOK", params, "");
    assert_true(hf_wait(rx, hooks + 1, 20000) >= hooks + 1);
    hf_req r;
    assert_int_equal(hf_get(rx, hooks, &r), 0);
    assert_string_equal(r.target, "/hook");
    assert_string_equal(r.body, "{\"type\":\"PUSH_ARTIFACT\"}");
    assert_string_equal(r.client_cn, "berthd");
    hf_req_free(&r);
    assert_int_equal(hf_refused(rx), 0);
    stop(pid, fd);
    free(id);
    free(wid);
    hf_stop(rx);
}

/* The receiver does check: a client without berthd's certificate is refused by it. */
static void test_receiver_refuses_anonymous(void **state)
{
    (void)state;
    char ca[128], url[96];
    pathf(ca, sizeof ca, "ca.crt");
    http_fake *rx = start_receiver();
    snprintf(url, sizeof url, "https://127.0.0.1:%d/x", hf_port(rx));
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CAINFO, ca);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, "{}");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, drop);
    assert_int_not_equal(curl_easy_perform(h), CURLE_OK);
    curl_easy_cleanup(h);
    assert_int_equal(hf_refused(rx), 1);
    assert_int_equal(hf_count(rx), 0);
    hf_stop(rx);
}

/* ---- the other outgoing calls, in this process ---------------------------------------- */

static void set_internal_tls(bool on)
{
    char v[160];
    if (!on) {   /* all of them: the berthd children of later tests inherit them */
        after_each(NULL);
        return;
    }
    setenv("INTERNAL_TLS_ENABLED", "true", 1);
    pathf(v, sizeof v, "berthd.crt");
    setenv("INTERNAL_TLS_CERT_PATH", v, 1);
    pathf(v, sizeof v, "berthd.key");
    setenv("INTERNAL_TLS_KEY_PATH", v, 1);
    pathf(v, sizeof v, "ca.crt");
    setenv("INTERNAL_TLS_TRUST_CA_PATH", v, 1);
}

/* One call of each client to base (what they answer does not matter here). */
static void call_each(const char *base)
{
    char err[512], url[160];
    db_settings ds;
    memset(&ds, 0, sizeof ds);
    db_settings_fetch(base, "s", 5000, &ds, err, sizeof err);   /* core's internalconfig */
    db_settings_clear(&ds);
    scanner *sc = NULL;
    scanner_settings ss = {.url = base, .auth = SCANNER_AUTH_NONE, .timeout_ms = 5000};
    assert_int_equal(scanner_new(&ss, &sc, err, sizeof err), 0);
    json_t *meta = NULL;
    scanner_metadata(sc, &meta, err, sizeof err);                 /* scanner adapter */
    json_decref(meta);
    scanner_free(sc);
    snprintf(url, sizeof url, "%s/service/token", base);
    jhttp_req jr = {.method = "GET", .url = url, .insecure = true, .internal_tls = true,
                    .timeout_ms = 5000, .max_reply = 4096};
    jhttp_resp resp;
    jhttp_do(&jr, &resp, err, sizeof err);                        /* token service */
    jhttp_resp_free(&resp);
    reg_client *rc = NULL;
    reg_settings rs = {.url = base, .harbor_secret = "s", .timeout_s = 5};
    assert_int_equal(reg_client_new(&rs, &rc, err, sizeof err), 0);
    bool exists = false;
    reg_blob_head(rc, "library/x", "sha256:0000000000000000000000000000000000000000000000000000000000000000", &exists);
    reg_client_free(rc);                                          /* registry */
}

static void test_library_calls_present_cert(void **state)
{
    (void)state;
    char base[64];
    http_fake *rx = start_receiver();
    snprintf(base, sizeof base, "https://127.0.0.1:%d", hf_port(rx));
    set_internal_tls(false);        /* off: no certificate, the internal CA not trusted */
    call_each(base);
    assert_int_equal(hf_count(rx), 0);
    set_internal_tls(true);
    call_each(base);
    set_internal_tls(false);
    const char *want[] = {"/api/v2.0/internalconfig", "/api/v1/metadata", "/service/token",
                          "/v2/library/x/blobs/"};
    assert_int_equal(hf_count(rx), 4);
    for (size_t i = 0; i < 4; i++) {
        hf_req r;
        assert_int_equal(hf_get(rx, i, &r), 0);
        if (strncmp(r.target, want[i], strlen(want[i])) != 0)
            fprintf(stderr, "request %zu: %s\n", i, r.target);
        assert_int_equal(strncmp(r.target, want[i], strlen(want[i])), 0);
        assert_string_equal(r.client_cn, "berthd");
        hf_req_free(&r);
    }
    hf_stop(rx);
}

/* ---- bad settings ------------------------------------------------------------------------ */

static void expect_refusal(bool https, const char *const *env, const char *needle)
{
    char cfg[128], err[2048];
    write_config("bad", https, cfg, sizeof cfg);
    int fd;
    pid_t pid = spawn(cfg, env, &fd);
    assert_int_equal(berthd_reap(pid, 15000), 2);
    child = 0;
    size_t n = 0;
    ssize_t r;
    while (n + 1 < sizeof err && (r = read(fd, err + n, sizeof err - 1 - n)) > 0)
        n += (size_t)r;
    err[n] = '\0';
    close(fd);
    if (!strstr(err, needle))
        fprintf(stderr, "stderr was: %s\n", err);
    assert_non_null(strstr(err, needle));
    assert_non_null(strchr(err, '\n'));
    assert_null(strchr(strchr(err, '\n') + 1, '\n'));   /* one line */
}

static void test_bad_settings(void **state)
{
    (void)state;
    char missing[160], garbage[160], msg[512];
    pathf(missing, sizeof missing, "missing.crt");
    pathf(garbage, sizeof garbage, "garbage.pem");
    const char *const no_cert[] = {"INTERNAL_TLS_ENABLED=TRUE", "INTERNAL_TLS_KEY_PATH=@berthd.key",
                                   NULL};
    expect_refusal(false, no_cert, "INTERNAL_TLS_ENABLED is true but INTERNAL_TLS_CERT_PATH is "
                                   "not set");
    const char *const no_key[] = {"INTERNAL_VERIFY_CLIENT_CERT=true",
                                  "INTERNAL_TLS_CERT_PATH=@berthd.crt", NULL};
    expect_refusal(true, no_key, "INTERNAL_VERIFY_CLIENT_CERT is true but INTERNAL_TLS_KEY_PATH");
    const char *const gone[] = {"INTERNAL_TLS_ENABLED=true", "INTERNAL_TLS_CERT_PATH=@missing.crt",
                                "INTERNAL_TLS_KEY_PATH=@berthd.key", NULL};
    snprintf(msg, sizeof msg, "INTERNAL_TLS_CERT_PATH: cannot read %s: No such file", missing);
    expect_refusal(false, gone, msg);
    const char *const bad_key[] = {"INTERNAL_TLS_ENABLED=true", "INTERNAL_TLS_CERT_PATH=@berthd.crt",
                                   "INTERNAL_TLS_KEY_PATH=@garbage.pem", NULL};
    snprintf(msg, sizeof msg, "INTERNAL_TLS_KEY_PATH %s cannot be used", garbage);
    expect_refusal(false, bad_key, msg);
    const char *const dir_key[] = {"INTERNAL_TLS_ENABLED=true", "INTERNAL_TLS_CERT_PATH=@berthd.crt",
                                   "INTERNAL_TLS_KEY_PATH=@", NULL};   /* a directory */
    expect_refusal(false, dir_key, "cannot be used");
    const char *const mismatch[] = {"INTERNAL_TLS_ENABLED=true", "INTERNAL_TLS_CERT_PATH=@berthd.crt",
                                    "INTERNAL_TLS_KEY_PATH=@core.key", NULL};
    expect_refusal(false, mismatch, "do not match");
    const char *const bad_ca[] = {"INTERNAL_VERIFY_CLIENT_CERT=true",
                                  "INTERNAL_TLS_CERT_PATH=@berthd.crt",
                                  "INTERNAL_TLS_KEY_PATH=@berthd.key",
                                  "INTERNAL_TLS_TRUST_CA_PATH=@garbage.pem", NULL};
    snprintf(msg, sizeof msg, "INTERNAL_TLS_TRUST_CA_PATH: %s holds no PEM certificate", garbage);
    expect_refusal(true, bad_ca, msg);
    /* the server's own pair: https_config.key of another certificate */
    const char *const server_mismatch[] = {"JOB_SERVICE_HTTPS_KEY=@core.key", NULL};
    expect_refusal(true, server_mismatch, "https_config.cert");
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_client_cert_required, after_each),
        cmocka_unit_test_teardown(test_no_verify_no_cert_needed, after_each),
        cmocka_unit_test_teardown(test_receiver_refuses_anonymous, after_each),
        cmocka_unit_test_teardown(test_outgoing_calls_present_cert, after_each),
        cmocka_unit_test_teardown(test_library_calls_present_cert, after_each),
        cmocka_unit_test_teardown(test_bad_settings, after_each),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    return rc;
}
