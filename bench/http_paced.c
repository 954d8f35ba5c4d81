/* The latency of one launch at a light load, for scripts/bench_http.sh: POSTs the launch
 * of bench/http_launch.lua on one keep-alive connection at a fixed rate (a send every
 * 1/rate s on an absolute schedule, so a slow answer does not slow the pace down), and
 * prints the count and the p50, p90, p99, p99.9 and maximum of the time from the request's
 * first byte sent to the response's last byte read. wrk cannot pace (Debian's wrk has no -R).
 * The first WARMUP launches (the connection's first, the first of the coalescer's sender
 * thread) are sent but not counted. With HTTP_PACED_DUMP=FILE every counted latency is
 * written to FILE (ns, one a line, in send order) for a closer look at the tail.
 *
 * Usage: http_paced PORT SECRET [RATE=200] [COUNT=2000]
 * Exits 1 on a transport error or an answer other than 202. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BODY "{\"job\":{\"name\":\"SCHEDULER\",\"parameters\":{\"k\":1},\"metadata\":" \
             "{\"kind\":\"Generic\"}}}"

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    if (fd < 0 || setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 ||
        connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        perror("connect");
        exit(1);
    }
    return fd;
}

/* Reads one response (headers, then Content-Length bytes); returns its status. */
static int read_response(int fd)
{
    char b[8192];
    size_t got = 0;
    for (;;) {
        ssize_t n = read(fd, b + got, sizeof b - 1 - got);
        if (n <= 0) {
            fprintf(stderr, "connection closed by berthd\n");
            exit(1);
        }
        got += (size_t)n;
        b[got] = '\0';
        char *end = strstr(b, "\r\n\r\n");
        const char *cl = strcasestr(b, "\r\nContent-Length:");
        if (end && cl && got >= (size_t)(end + 4 - b) + strtoul(cl + 17, NULL, 10))
            return atoi(b + 9);
        if (got == sizeof b - 1) {
            fprintf(stderr, "response too large\n");
            exit(1);
        }
    }
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

#define WARMUP 10

/* The nearest-rank percentile p (0..1] of sorted[0..n), in ms. */
static double pct(const long long *sorted, int n, double p)
{
    int k = (int)(p * n + 0.999999);   /* ceil, without libm */
    return sorted[k < 1 ? 0 : k - 1] / 1e6;
}

/* Writes the latencies in send order to path (HTTP_PACED_DUMP); 0 or -1. */
static int dump(const char *path, const long long *lat, int n)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    for (int i = 0; i < n; i++)
        fprintf(f, "%lld\n", lat[i]);
    return fclose(f) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s PORT SECRET [RATE] [COUNT]\n", argv[0]);
        return 2;
    }
    int port = atoi(argv[1]);
    double rate = argc > 3 ? atof(argv[3]) : 200;
    int count = argc > 4 ? atoi(argv[4]) : 2000;
    if (!(rate > 0) || count < 1) {
        fprintf(stderr, "RATE must be above 0 and COUNT at least 1\n");
        return 2;
    }
    char req[1024];
    int len = snprintf(req, sizeof req, "POST /api/v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       "Authorization: Harbor-Secret %s\r\nContent-Type: application/json\r\n"
                       "Content-Length: %zu\r\n\r\n%s", argv[2], strlen(BODY), BODY);
    long long *lat = calloc((size_t)count, sizeof *lat);
    if (!lat)
        return 1;
    int fd = dial(port);
    long long gap = (long long)(1e9 / rate), next = now_ns();
    for (int i = -WARMUP; i < count; i++) {
        long long t = now_ns();
        if (t < next) {
            struct timespec ts = {(next - t) / 1000000000LL, (next - t) % 1000000000LL};
            nanosleep(&ts, NULL);
        }
        next += gap;
        long long t0 = now_ns();
        if (write(fd, req, (size_t)len) != len) {
            perror("write");
            return 1;
        }
        int status = read_response(fd);
        if (i >= 0)
            lat[i] = now_ns() - t0;
        if (status != 202) {
            fprintf(stderr, "launch %d answered %d\n", i, status);
            return 1;
        }
    }
    close(fd);
    const char *path = getenv("HTTP_PACED_DUMP");
    if (path && *path && dump(path, lat, count) != 0) {
        perror(path);
        return 1;
    }
    qsort(lat, (size_t)count, sizeof *lat, cmp_ll);
    printf("one launch at a time, %.0f /s, %d launches (after %d not counted): p50 %.3f ms, "
           "p90 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms\n", rate, count, WARMUP,
           pct(lat, count, 0.50), pct(lat, count, 0.90), pct(lat, count, 0.99),
           pct(lat, count, 0.999), lat[count - 1] / 1e6);
    free(lat);
    return 0;
}
