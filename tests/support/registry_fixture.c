/* Real registries for tests; see registry_fixture.h. */
#include "test.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "redis_fixture.h"
#include "registry_fixture.h"
#include "wait.h"

#define ISSUER "berth-test-issuer"
#define SERVICE "berth-test-registry"

/* Runs argv with stdout to out_path (NULL: /dev/null) and stderr to /dev/null; waits.
 * Returns the exit status, or -1. */
static int run(const char *const *argv, const char *out_path)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int out = open(out_path ? out_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int nul = open("/dev/null", O_RDWR);
        if (out < 0 || nul < 0)
            _exit(126);
        dup2(nul, 0), dup2(out, 1), dup2(nul, 2);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Starts argv in the background with its output in log_path. */
static pid_t spawn(const char *const *argv, const char *log_path)
{
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);   /* die with the test */
        int out = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        int nul = open("/dev/null", O_RDWR);
        if (out < 0 || nul < 0)
            _exit(126);
        dup2(nul, 0), dup2(out, 1), dup2(out, 2);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

typedef struct http_wait {
    CURL *c;
    const char *url;
    pid_t pid;
    bool up, gone;
} http_wait;

/* Any HTTP answer on url, or the server exited. */
static bool answered_or_gone(void *arg)
{
    http_wait *w = arg;
    curl_easy_reset(w->c);
    curl_easy_setopt(w->c, CURLOPT_URL, w->url);
    curl_easy_setopt(w->c, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(w->c, CURLOPT_TIMEOUT, 2L);
    curl_easy_setopt(w->c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(w->c, CURLOPT_SSL_VERIFYHOST, 0L);
    w->up = curl_easy_perform(w->c) == CURLE_OK;
    w->gone = !w->up && waitpid(w->pid, NULL, WNOHANG) == w->pid;
    return w->up || w->gone;
}

/* Any HTTP answer on url within ms: 0, or -1. */
static int wait_http(const char *url, pid_t pid, int ms)
{
    http_wait w = {curl_easy_init(), url, pid, false, false};
    wait_until(answered_or_gone, &w, ms);
    curl_easy_cleanup(w.c);
    return w.up ? 0 : -1;
}

/* A signing key pair <dir>/<prefix>key.pem and <prefix>cert.pem. */
static int token_keys(reg_fixture *f, const char *prefix)
{
    char key[256], cert[256];
    snprintf(key, sizeof key, "%s/%skey.pem", f->dir, prefix);
    snprintf(cert, sizeof cert, "%s/%scert.pem", f->dir, prefix);
    const char *gen[] = {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                         key, "-out", cert, "-days", "2", "-subj", "/CN=berth-token", NULL};
    if (run(gen, NULL) != 0) {
        fprintf(stderr, "registry_fixture: openssl req failed\n");
        return -1;
    }
    return 0;
}

/* Copies <dir>/<from> to <dir>/<to> through a temp file and rename (readers never see half). */
static int copy_in_dir(reg_fixture *f, const char *from, const char *to)
{
    char a[256], b[256], t[256];
    snprintf(a, sizeof a, "%s/%s", f->dir, from);
    snprintf(b, sizeof b, "%s/%s", f->dir, to);
    snprintf(t, sizeof t, "%s/%s.tmp", f->dir, to);
    const char *argv[] = {"cp", a, t, NULL};
    return run(argv, NULL) == 0 && rename(t, b) == 0 ? 0 : -1;
}

static int token_setup(reg_fixture *f, char *auth, size_t authlen)
{
    char trust[256];
    snprintf(trust, sizeof trust, "%s/trust.pem", f->dir);
    /* the token server signs with key.pem/cert.pem; the registry trusts trust.pem */
    if (token_keys(f, "") != 0 || copy_in_dir(f, "cert.pem", "trust.pem") != 0)
        return -1;
    f->token_port = redis_fixture_free_port();
    char port[16], script[512], log[256];
    snprintf(port, sizeof port, "%d", f->token_port);
    snprintf(script, sizeof script, "%s/tests/support/token_server.py",
             getenv("BERTH_SOURCE_DIR") ? getenv("BERTH_SOURCE_DIR") : ".");
    snprintf(log, sizeof log, "%s/token-server.log", f->dir);
    const char *argv[] = {"/usr/bin/python3", script, port, f->dir, ISSUER, SERVICE, RF_USER, RF_PASS,
                          NULL};
    f->token_pid = spawn(argv, log);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", f->token_port);
    if (f->token_pid <= 0 || wait_http(url, f->token_pid, 10000) != 0) {
        fprintf(stderr, "registry_fixture: the token server did not start (see %s)\n", log);
        return -1;
    }
    snprintf(auth, authlen,
             "auth:\n  token:\n    realm: http://127.0.0.1:%d/token\n    service: %s\n"
             "    issuer: %s\n    rootcertbundle: %s\n", f->token_port, SERVICE, ISSUER, trust);
    return 0;
}

/* A self-signed certificate for 127.0.0.1 and the http.tls section using it. */
static int tls_setup(reg_fixture *f, char *out, size_t outlen)
{
    char key[256];
    snprintf(key, sizeof key, "%s/tls.key", f->dir);
    snprintf(f->cert, sizeof f->cert, "%s/tls.crt", f->dir);
    const char *gen[] = {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                         key, "-out", f->cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                         "-addext", "subjectAltName=IP:127.0.0.1", NULL};
    if (run(gen, NULL) != 0) {
        fprintf(stderr, "registry_fixture: openssl req failed\n");
        return -1;
    }
    snprintf(out, outlen, "  tls:\n    certificate: %s\n    key: %s\n", f->cert, key);
    return 0;
}

static int auth_section(reg_fixture *f, char *auth, size_t authlen)
{
    auth[0] = '\0';
    if (f->auth == RF_TLS)
        return tls_setup(f, auth, authlen);
    if (f->auth == RF_TOKEN)
        return token_setup(f, auth, authlen);
    if (f->auth != RF_BASIC)
        return 0;
    char path[256];
    snprintf(path, sizeof path, "%s/htpasswd", f->dir);
    const char *argv[] = {"htpasswd", "-Bbn", RF_USER, RF_PASS, NULL};
    if (run(argv, path) != 0) {
        fprintf(stderr, "registry_fixture: htpasswd failed\n");
        return -1;
    }
    snprintf(auth, authlen, "auth:\n  htpasswd:\n    realm: berth-test\n    path: %s\n", path);
    return 0;
}

static int serve(reg_fixture *f);

int regfx_start(reg_fixture *f, rf_auth auth)
{
    memset(f, 0, sizeof *f);
    f->auth = auth;
    snprintf(f->dir, sizeof f->dir, "/tmp/berth-registry-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    char authtext[1024], cfg[2048], path[256], log[256];
    if (auth_section(f, authtext, sizeof authtext) != 0)
        return -1;
    f->port = redis_fixture_free_port();
    snprintf(f->url, sizeof f->url, "%s://127.0.0.1:%d", auth == RF_TLS ? "https" : "http",
             f->port);
    snprintf(cfg, sizeof cfg,
             "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
             "storage:\n  filesystem:\n    rootdirectory: %s/data\n  delete:\n    enabled: true\n"
             "http:\n  addr: 127.0.0.1:%d\n%s"
             /* schema 1 pushes and foreign-layer URLs are refused by default in 2.8 */
             "compatibility:\n  schema1:\n    enabled: true\n"
             "validation:\n  manifests:\n    urls:\n      allow:\n        - ^https?://\n",
             f->dir, f->port, authtext);
    snprintf(path, sizeof path, "%s/config.yml", f->dir);
    snprintf(log, sizeof log, "%s/registry.log", f->dir);
    if (write_file(path, cfg) != 0)
        return -1;
    return serve(f);
}

/* Starts docker-registry on <dir>/config.yml and waits for its first answer. */
static int serve(reg_fixture *f)
{
    char path[256], log[256];
    snprintf(path, sizeof path, "%s/config.yml", f->dir);
    snprintf(log, sizeof log, "%s/registry.log", f->dir);
    const char *argv[] = {"docker-registry", "serve", path, NULL};
    f->pid = spawn(argv, log);
    char url[96];
    snprintf(url, sizeof url, "%s/v2/", f->url);
    if (f->pid <= 0 || wait_http(url, f->pid, 15000) != 0) {
        fprintf(stderr, "registry_fixture: docker-registry did not start (see %s)\n", log);
        return -1;
    }
    return 0;
}

static void reap(pid_t *pid)
{
    if (*pid <= 0)
        return;
    kill(*pid, SIGTERM);
    if (wait_exit(*pid, 2000) < 0) {
        kill(*pid, SIGKILL);
        waitpid(*pid, NULL, 0);
    }
    *pid = 0;
}

void regfx_stop(reg_fixture *f)
{
    reap(&f->pid);
    reap(&f->token_pid);
    if (f->dir[0] && !getenv("BERTH_KEEP_REGISTRY")) {
        const char *argv[] = {"rm", "-rf", f->dir, NULL};
        run(argv, NULL);
    }
    f->dir[0] = '\0';
}

int regfx_token_rotate(reg_fixture *f, bool sign_with_new)
{
    if (f->auth != RF_TOKEN || token_keys(f, "new-") != 0 ||
        copy_in_dir(f, "new-cert.pem", "trust.pem") != 0)
        return -1;
    if (sign_with_new && (copy_in_dir(f, "new-key.pem", "key.pem") != 0 ||
                          copy_in_dir(f, "new-cert.pem", "cert.pem") != 0))
        return -1;
    reap(&f->pid);   /* the registry reads its trust bundle at start only */
    return serve(f);
}

int regfx_token_requests(const reg_fixture *f)
{
    char path[256];
    snprintf(path, sizeof path, "%s/token.log", f->dir);
    FILE *fp = fopen(path, "r");
    int n = 0, ch;
    if (!fp)
        return 0;
    while ((ch = fgetc(fp)) != EOF)
        n += ch == '\n';
    fclose(fp);
    return n;
}

void regfx_sha256(const void *p, size_t n, char out[80])
{
    unsigned char md[32];
    unsigned len = 0;
    EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
    int k = snprintf(out, 80, "sha256:");
    for (unsigned i = 0; i < len; i++)
        k += snprintf(out + k, (size_t)(80 - k), "%02x", md[i]);
}

char *regfx_bytes(size_t n, unsigned seed)
{
    char *p = malloc(n ? n : 1);
    uint64_t x = 0x9E3779B97F4A7C15ull ^ seed;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        p[i] = (char)(x >> 24);
    }
    return p;
}

/* ---- requests ---------------------------------------------------------------------------- */

typedef struct acc { char *p; size_t n; } acc;

static size_t on_body(char *d, size_t s, size_t m, void *ud)
{
    acc *a = ud;
    a->p = realloc(a->p, a->n + s * m + 1);
    memcpy(a->p + a->n, d, s * m);
    a->n += s * m;
    a->p[a->n] = '\0';
    return s * m;
}

typedef struct hdrs { char loc[2048], digest[80], ctype[128]; } hdrs;

static void grab(const char *line, size_t n, const char *name, char *out, size_t outlen)
{
    size_t k = strlen(name);
    if (n > k + 1 && strncasecmp(line, name, k) == 0 && line[k] == ':') {
        const char *v = line + k + 1;
        while (*v == ' ')
            v++;
        size_t vl = strcspn(v, "\r\n");
        snprintf(out, outlen, "%.*s", (int)vl, v);
    }
}

static size_t on_header(char *d, size_t s, size_t m, void *ud)
{
    hdrs *h = ud;
    grab(d, s * m, "Location", h->loc, sizeof h->loc);
    grab(d, s * m, "Docker-Content-Digest", h->digest, sizeof h->digest);
    grab(d, s * m, "Content-Type", h->ctype, sizeof h->ctype);
    return s * m;
}

/* "Authorization: Bearer ..." for repo (token mode), else "". */
static void bearer(reg_fixture *f, const char *repo, char *out, size_t outlen)
{
    out[0] = '\0';
    if (f->auth != RF_TOKEN)
        return;
    char url[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/token?scope=repository:%s:pull,push,*"
             "&service=" SERVICE, f->token_port, repo);
    CURL *c = curl_easy_init();
    acc a = {0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_USERPWD, RF_USER ":" RF_PASS);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &a);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_cleanup(c);
    const char *t = a.p ? strstr(a.p, "\"token\": \"") : NULL;
    assert_non_null(t);
    t += 10;
    snprintf(out, outlen, "Authorization: Bearer %.*s", (int)strcspn(t, "\""), t);
    free(a.p);
}

/* One request; the caller owns body. */
static long req(reg_fixture *f, const char *repo, const char *method, const char *url,
                const char *ctype, const void *data, size_t n, acc *body, hdrs *h,
                const char *accept)
{
    CURL *c = curl_easy_init();
    struct curl_slist *l = NULL;
    char auth[4096], ct[160];
    bearer(f, repo, auth, sizeof auth);
    if (auth[0])
        l = curl_slist_append(l, auth);
    snprintf(ct, sizeof ct, "Content-Type: %s", ctype ? ctype : "");
    l = curl_slist_append(l, ct);
    char acc_line[256];
    snprintf(acc_line, sizeof acc_line, "Accept: %s", accept ? accept :
             "application/vnd.oci.image.index.v1+json, "
             "application/vnd.docker.distribution.manifest.list.v2+json, "
             "application/vnd.oci.image.manifest.v1+json, "
             "application/vnd.docker.distribution.manifest.v2+json");
    l = curl_slist_append(l, acc_line);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, l);
    if (f->auth == RF_TLS)
        curl_easy_setopt(c, CURLOPT_CAINFO, f->cert);
    if (f->auth == RF_BASIC)
        curl_easy_setopt(c, CURLOPT_USERPWD, RF_USER ":" RF_PASS);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    else if (strcmp(method, "GET") != 0)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (data || strcmp(method, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, data ? data : "");
    }
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, h);
    long st = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
    curl_slist_free_all(l);
    curl_easy_cleanup(c);
    return st;
}

void regfx_push_blob(reg_fixture *f, const char *repo, const void *p, size_t n, char digest[80])
{
    regfx_sha256(p, n, digest);
    char url[4096];
    snprintf(url, sizeof url, "%s/v2/%s/blobs/uploads/", f->url, repo);
    acc a = {0};
    hdrs h = {0};
    assert_int_equal(req(f, repo, "POST", url, NULL, NULL, 0, &a, &h, NULL), 202);
    free(a.p);
    a = (acc){0};
    char put[4096];
    if (h.loc[0] == '/')
        snprintf(put, sizeof put, "%s%s%sdigest=%s", f->url, h.loc, strchr(h.loc, '?') ? "&" : "?",
                 digest);
    else
        snprintf(put, sizeof put, "%s%sdigest=%s", h.loc, strchr(h.loc, '?') ? "&" : "?", digest);
    long st = req(f, repo, "PUT", put, "application/octet-stream", p, n, &a, &h, NULL);
    if (st != 201)
        fprintf(stderr, "push blob: %ld %s\n", st, a.p ? a.p : "");
    assert_int_equal(st, 201);
    free(a.p);
}

void regfx_push_manifest(reg_fixture *f, const char *repo, const char *ref, const char *media,
                         const char *body, char digest[80])
{
    regfx_sha256(body, strlen(body), digest);
    char url[4096];
    snprintf(url, sizeof url, "%s/v2/%s/manifests/%s", f->url, repo, ref);
    acc a = {0};
    hdrs h = {0};
    long st = req(f, repo, "PUT", url, media, body, strlen(body), &a, &h, NULL);
    if (st != 201)
        fprintf(stderr, "push manifest: %ld %s\n", st, a.p ? a.p : "");
    assert_int_equal(st, 201);
    free(a.p);
}

long regfx_request(reg_fixture *f, const char *method, const char *path, char **body,
                   size_t *len, char digest[80], char ctype[128])
{
    return regfx_request_accept(f, method, path, NULL, body, len, digest, ctype);
}

long regfx_request_accept(reg_fixture *f, const char *method, const char *path,
                          const char *accept, char **body, size_t *len, char digest[80],
                          char ctype[128])
{
    char url[4096], repo[512] = "";
    snprintf(url, sizeof url, "%s%s", f->url, path);
    const char *r = strncmp(path, "/v2/", 4) == 0 ? path + 4 : "";
    const char *cut = strstr(r, "/manifests/") ? strstr(r, "/manifests/") : strstr(r, "/blobs/");
    if (cut)
        snprintf(repo, sizeof repo, "%.*s", (int)(cut - r), r);
    acc a = {0};
    hdrs h = {0};
    long st = req(f, repo, method, url, NULL, NULL, 0, &a, &h, accept);
    if (body)
        *body = a.p ? a.p : calloc(1, 1);
    else
        free(a.p);
    if (len)
        *len = a.n;
    if (digest)
        snprintf(digest, 80, "%s", h.digest);
    if (ctype)
        snprintf(ctype, 128, "%s", h.ctype);
    return st;
}

void regfx_blob_path(const reg_fixture *f, const char *digest, char *out, size_t outlen)
{
    const char *hex = digest + 7;
    snprintf(out, outlen, "%s/data/docker/registry/v2/blobs/sha256/%.2s/%s/data", f->dir, hex,
             hex);
}
