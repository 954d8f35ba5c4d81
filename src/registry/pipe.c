/* The streamed blob copy: a GET on the source and a PUT/PATCH on the destination run in one
 * curl multi handle, joined by a 256 KiB ring. The GET's write callback pauses when the
 * ring is full, the upload's read callback pauses when it is empty (or when the speed
 * limiter has no tokens), and the loop unpauses each side when the other made room, so a
 * blob of any size costs the ring and curl's own buffers, never its size. The loop polls
 * at least every 100 ms, so a stop aborts a transfer within that. Bytes are hashed on the
 * way; when the hash of a whole blob does not match its digest, the upload is aborted
 * before its last byte, so the destination never completes a wrong blob. */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "berth/error.h"
#include "registry/internal.h"
#include "registry/pipe.h"
#include "util/alloc.h"
#include "util/clock.h"

#define RING (256u << 10)

void reg__sha256(const void *p, size_t n, char out[REG_DIGEST_MAX])
{
    unsigned char md[32];
    unsigned len = 0;
    EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
    int k = snprintf(out, REG_DIGEST_MAX, "sha256:");
    for (unsigned i = 0; i < len; i++)
        k += snprintf(out + k, (size_t)(REG_DIGEST_MAX - k), "%02x", md[i]);
}

void reg_limiter_init(reg_limiter *l, double rate, double burst)
{
    *l = (reg_limiter){.rate = rate, .burst = burst, .tokens = burst, .last_us = clock_mono_us()};
}

/* Bytes (≤ want) that may go now; 0 when the bucket is empty. */
static size_t limiter_take(reg_limiter *l, size_t want)
{
    if (!l || l->rate <= 0)
        return want;
    int64_t t = clock_mono_us();
    l->tokens += (double)(t - l->last_us) / 1e6 * l->rate;
    if (l->tokens > l->burst)
        l->tokens = l->burst;
    l->last_us = t;
    size_t give = l->tokens >= (double)want ? want : (size_t)l->tokens;
    l->tokens -= (double)give;
    return give;
}

typedef struct pipe_run {
    reg_pipe *p;
    char *ring;
    size_t head, len;            /* ring: read position, bytes held */
    bool get_paused, put_paused, put_added, src_started;
    bool src_done, put_done, hash_bad, too_long;
    CURLcode src_rc, put_rc;
    int64_t expect, in, out;
    EVP_MD_CTX *md;
    CURL *get, *put;
    char get_err[CURL_ERROR_SIZE], put_err[CURL_ERROR_SIZE];   /* curl's detailed texts */
} pipe_run;

static bool src_ok_status(pipe_run *r)
{
    long st = 0;
    curl_easy_getinfo(r->get, CURLINFO_RESPONSE_CODE, &st);
    return r->p->range_end >= 0 ? st == 206 || (st == 200 && r->p->range_start == 0 &&
                                                r->p->src_resp->content_length ==
                                                    r->p->range_end + 1)
                                : st >= 200 && st <= 299;
}

static void finish_hash(pipe_run *r)
{
    unsigned char md[64];
    unsigned len = 0;
    EVP_DigestFinal_ex(r->md, md, &len);
    char got[REG_DIGEST_MAX];
    int k = snprintf(got, sizeof got, "sha256:");
    for (unsigned i = 0; i < len; i++)
        k += snprintf(got + k, sizeof got - (size_t)k, "%02x", md[i]);
    r->hash_bad = strcmp(got, r->p->digest) != 0;
    if (r->hash_bad)
        snprintf(r->p->hash_got, REG_DIGEST_MAX, "%s", got);
}

static size_t on_src(char *d, size_t sz, size_t nm, void *ud)
{
    pipe_run *r = ud;
    size_t n = sz * nm;
    if (!r->src_started) {
        r->src_started = true;
        if (!src_ok_status(r))   /* an error reply: keep its body for the message */
            r->expect = -1;
        else if (r->p->range_end < 0)
            r->expect = r->p->src_resp->content_length > 0 ? r->p->src_resp->content_length
                                                            : r->p->size;
    }
    if (r->expect < 0) {
        buf_append(&r->p->src_resp->body, d, n > 1024 ? 1024 : n);
        return n;
    }
    if (r->in + (int64_t)n > r->expect) {
        r->too_long = true;
        return 0;
    }
    if (RING - r->len < n) {
        r->get_paused = true;
        return CURL_WRITEFUNC_PAUSE;
    }
    size_t tail = (r->head + r->len) % RING, first = RING - tail < n ? RING - tail : n;
    memcpy(r->ring + tail, d, first);
    memcpy(r->ring, d + first, n - first);
    r->len += n;
    r->in += (int64_t)n;
    if (r->md) {
        EVP_DigestUpdate(r->md, d, n);
        if (r->in == r->expect)
            finish_hash(r);
    }
    return n;
}

static size_t on_dst(char *d, size_t sz, size_t nm, void *ud)
{
    pipe_run *r = ud;
    size_t n = sz * nm;
    if (r->len == 0) {
        if (r->src_done)
            return r->out == r->expect ? 0 : CURL_READFUNC_ABORT;
        r->put_paused = true;
        return CURL_READFUNC_PAUSE;
    }
    if (n > r->len)
        n = r->len;
    if (n > RING - r->head)
        n = RING - r->head;
    n = limiter_take(r->p->lim, n);
    if (n == 0) {
        r->put_paused = true;
        return CURL_READFUNC_PAUSE;
    }
    if (r->hash_bad && r->out + (int64_t)n >= r->expect)
        return CURL_READFUNC_ABORT;   /* never complete a blob whose bytes are wrong */
    memcpy(d, r->ring + r->head, n);
    r->head = (r->head + n) % RING;
    r->len -= n;
    r->out += (int64_t)n;
    return n;
}

/* Adds the upload once the source's reply says how much comes. */
static void add_put(pipe_run *r, CURLM *m)
{
    const reg_pipe *p = r->p;
    if (!r->src_started && p->range_end < 0)
        r->expect = p->size;   /* an empty reply: no write came */
    curl_easy_setopt(r->put, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(r->put, CURLOPT_CUSTOMREQUEST, p->dst_method);
    curl_easy_setopt(r->put, CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->expect);
    curl_easy_setopt(r->put, CURLOPT_READFUNCTION, on_dst);
    curl_easy_setopt(r->put, CURLOPT_READDATA, r);
    curl_multi_add_handle(m, r->put);
    r->put_added = true;
}

static void poke(pipe_run *r)
{
    if (r->get_paused && RING - r->len >= CURL_MAX_WRITE_SIZE) {
        r->get_paused = false;
        curl_easy_pause(r->get, CURLPAUSE_CONT);
    }
    if (r->put_added && r->put_paused && (r->len > 0 || r->src_done)) {
        r->put_paused = false;
        curl_easy_pause(r->put, CURLPAUSE_CONT);
    }
}

static void read_done(pipe_run *r, CURLM *m)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(m, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        if (msg->easy_handle == r->get) {
            r->src_done = true;
            r->src_rc = msg->data.result;
        } else {
            r->put_done = true;
            r->put_rc = msg->data.result;
        }
    }
}

/* Runs the transfer; the outcome is in r's flags. BERTH_ESTATE when stopped. */
static int drive(pipe_run *r, CURLM *m)
{
    reg_client *dst = r->p->dst;
    int running = 1;
    curl_multi_add_handle(m, r->get);
    while (!(r->src_done && r->put_done)) {
        if (reg__stopped(dst) || reg__stopped(r->p->src))
            return BERTH_ESTATE;
        curl_multi_perform(m, &running);
        read_done(r, m);
        bool src_failed = r->src_done && (r->src_rc != CURLE_OK || r->expect < 0 ||
                                          !src_ok_status(r));
        if (src_failed && !r->put_done)
            return 0;   /* the upload cannot complete: leave it */
        if (!r->put_added && !src_failed && r->expect >= 0 && (r->src_started || r->src_done))
            add_put(r, m);
        if (r->put_done && !r->src_done)
            return 0;   /* the destination answered before the end: stop reading */
        if (r->src_done && r->put_done)
            break;      /* not one more poll: it idled 100 ms at the end of every blob */
        poke(r);
        curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    return 0;
}

/* Turns the flags into a result and an error text on dst. */
static int outcome(pipe_run *r, int rc)
{
    reg_pipe *p = r->p;
    reg_client *c = p->dst;
    p->src_failed = false;
    if (rc == BERTH_ESTATE)
        return reg__fail(c, 0, rc, "stopped");
    long st = 0;
    curl_easy_getinfo(r->get, CURLINFO_RESPONSE_CODE, &st);
    if (r->too_long || (r->src_done && (r->src_rc != CURLE_OK || r->expect < 0 ||
                                        !src_ok_status(r))) || (!r->src_done && !r->put_done)) {
        p->src_failed = true;
        if (r->too_long)
            return reg__fail(c, 0, BERTH_EIO, "the source sent more than %lld bytes",
                             (long long)r->expect);
        if (r->src_rc != CURLE_OK)
            return reg__fail(c, 0, BERTH_EIO, "GET %s: %s", p->src_url,
                             r->get_err[0] ? r->get_err : curl_easy_strerror(r->src_rc));
        return reg__fail(c, st, BERTH_EIO, "http status code: %ld, body: %s", st,
                         p->src_resp->body.p ? p->src_resp->body.p : "");
    }
    if (r->hash_bad)
        return reg__fail(c, 0, BERTH_EINVAL, "blob digest mismatch: expected %s, got %s",
                         p->digest, p->hash_got);
    long pst = 0;
    curl_easy_getinfo(r->put, CURLINFO_RESPONSE_CODE, &pst);
    p->dst_resp->status = pst;
    if (r->put_rc != CURLE_OK && (pst < 200 || pst > 299))
        return reg__fail(c, pst, BERTH_EIO, "%s %s: %s", p->dst_method, p->dst_url,
                         r->put_err[0] ? r->put_err : curl_easy_strerror(r->put_rc));
    if (pst < 200 || pst > 299)
        return reg__fail(c, pst, BERTH_EIO, "http status code: %ld, body: %.*s", pst,
                         (int)(p->dst_resp->body.len > 1024 ? 1024 : p->dst_resp->body.len),
                         p->dst_resp->body.p ? p->dst_resp->body.p : "");
    return 0;
}

int reg__pipe(reg_pipe *p)
{
    pipe_run r = {.p = p, .expect = p->range_end >= 0 ? p->range_end - p->range_start + 1 : 0};
    r.ring = berth_malloc(RING);
    r.get = curl_easy_init();
    r.put = curl_easy_init();
    CURLM *m = curl_multi_init();
    int rc = BERTH_ENOMEM;
    if (!r.ring || !r.get || !r.put || !m) {
        reg__fail(p->dst, 0, rc, "out of memory");
        goto out;
    }
    if (p->verify && strncmp(p->digest, "sha256:", 7) == 0) {
        r.md = EVP_MD_CTX_new();
        EVP_DigestInit_ex(r.md, EVP_sha256(), NULL);
    }
    reg__setup(p->src, r.get, p->src_resp, p->src_url);
    curl_easy_setopt(r.get, CURLOPT_HTTPHEADER, p->src_headers);
    curl_easy_setopt(r.get, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(r.get, CURLOPT_WRITEFUNCTION, on_src);
    curl_easy_setopt(r.get, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(r.get, CURLOPT_ERRORBUFFER, r.get_err);
    reg__setup(p->dst, r.put, p->dst_resp, p->dst_url);
    curl_easy_setopt(r.put, CURLOPT_HTTPHEADER, p->dst_headers);
    curl_easy_setopt(r.put, CURLOPT_ERRORBUFFER, r.put_err);
    rc = outcome(&r, drive(&r, m));
out:
    if (m) {
        curl_multi_remove_handle(m, r.get);
        if (r.put_added)
            curl_multi_remove_handle(m, r.put);
        curl_multi_cleanup(m);
    }
    if (r.get)
        curl_easy_cleanup(r.get);
    if (r.put)
        curl_easy_cleanup(r.put);
    if (r.md)
        EVP_MD_CTX_free(r.md);
    berth_free(r.ring);
    return rc;
}
