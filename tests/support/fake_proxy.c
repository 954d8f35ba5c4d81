/* The tests' HTTP proxy; see fake_proxy.h. One thread accepts; one thread per connection
 * reads the request head, connects to 127.0.0.1:<port>, and relays bytes both ways until
 * the target closes. */
#include "fake_proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define HEAD_MAX 65536
#define MAX_CONNS 64
#define MAX_LINES 4096

struct fake_proxy {
    int lfd, port;
    pthread_t acceptor;
    pthread_mutex_t mu;
    bool stopping;
    int fds[MAX_CONNS];          /* open client sockets (-1: free slot) */
    pthread_t threads[MAX_CONNS];
    bool used[MAX_CONNS];        /* a thread to join in this slot */
    char *lines[MAX_LINES];
    size_t nlines;
};

typedef struct conn {
    fake_proxy *p;
    int slot, fd;
} conn;

static int write_all(int fd, const char *b, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        if (w <= 0) {
            if (w < 0 && errno == EINTR)
                continue;
            return -1;
        }
        b += w, n -= (size_t)w;
    }
    return 0;
}

static int dial_loopback(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
        return fd;
    if (fd >= 0)
        close(fd);
    return -1;
}

/* Relays until either side closes or fails. */
static void relay(int client, int target)
{
    char b[65536];
    for (;;) {
        struct pollfd pf[2] = {{.fd = target, .events = POLLIN},
                               {.fd = client, .events = POLLIN}};
        if (poll(pf, 2, 30000) <= 0)
            return;
        if (pf[0].revents) {
            ssize_t n = recv(target, b, sizeof b, 0);
            if (n <= 0 || write_all(client, b, (size_t)n) != 0)
                return;
        }
        if (pf[1].revents) {
            ssize_t n = recv(client, b, sizeof b, 0);
            if (n <= 0 || write_all(target, b, (size_t)n) != 0)
                return;   /* the client left (curl never half-closes): so does the target */
        }
    }
}

static void record(fake_proxy *p, const char *method, const char *target)
{
    char *line = malloc(strlen(method) + strlen(target) + 2);
    sprintf(line, "%s %s", method, target);
    pthread_mutex_lock(&p->mu);
    if (p->nlines < MAX_LINES)
        p->lines[p->nlines++] = line;
    else
        free(line);
    pthread_mutex_unlock(&p->mu);
}

/* "host:port" or "[v6]:port" → port (default def). */
static int port_of(const char *hostport, size_t n, int def)
{
    const char *end = hostport + n, *colon = NULL;
    for (const char *q = hostport; q < end; q++)
        if (*q == ':')
            colon = q;
        else if (*q == ']')
            colon = NULL;
    return colon ? atoi(colon + 1) : def;
}

/* Sends the request head on to the target in origin form, without hop-by-hop headers. */
static int forward_head(int target, const char *method, const char *path, char *headers)
{
    char line[HEAD_MAX + 256];
    int k = snprintf(line, sizeof line, "%s %s HTTP/1.1\r\n", method, path);
    for (char *save = NULL, *h = strtok_r(headers, "\r\n", &save); h;
         h = strtok_r(NULL, "\r\n", &save)) {
        if (strncasecmp(h, "Proxy-", 6) == 0 || strncasecmp(h, "Connection:", 11) == 0 ||
            strncasecmp(h, "Keep-Alive:", 11) == 0)
            continue;
        k += snprintf(line + k, sizeof line - (size_t)k, "%s\r\n", h);
        if ((size_t)k >= sizeof line - 32)
            return -1;
    }
    k += snprintf(line + k, sizeof line - (size_t)k, "Connection: close\r\n\r\n");
    return write_all(target, line, (size_t)k);
}

static void serve(fake_proxy *p, int fd)
{
    char *head = malloc(HEAD_MAX + 1);
    size_t n = 0;
    char *end = NULL;
    while (!end && n < HEAD_MAX) {
        ssize_t r = recv(fd, head + n, HEAD_MAX - n, 0);
        if (r <= 0)
            break;
        n += (size_t)r;
        head[n] = '\0';
        end = strstr(head, "\r\n\r\n");
    }
    char method[16], target[4096];
    if (!end || sscanf(head, "%15s %4095s", method, target) != 2) {
        free(head);
        return;
    }
    record(p, method, target);
    char *rest = end + 4;
    size_t rest_n = n - (size_t)(rest - head);
    *end = '\0';
    char *headers = strstr(head, "\r\n");
    headers = headers ? headers + 2 : end;
    int t = -1;
    if (strcmp(method, "CONNECT") == 0) {
        t = dial_loopback(port_of(target, strlen(target), 443));
        const char *ok = t >= 0 ? "HTTP/1.1 200 Connection established\r\n\r\n"
                                : "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n";
        if (write_all(fd, ok, strlen(ok)) == 0 && t >= 0 &&
            (rest_n == 0 || write_all(t, rest, rest_n) == 0))
            relay(fd, t);
    } else if (strncasecmp(target, "http://", 7) == 0) {
        const char *host = target + 7;
        size_t hl = strcspn(host, "/?");
        const char *path = host[hl] ? host + hl : "/";
        t = dial_loopback(port_of(host, hl, 80));
        if (t < 0) {
            const char *bad = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n";
            write_all(fd, bad, strlen(bad));
        } else if (forward_head(t, method, path, headers) == 0 &&
                   (rest_n == 0 || write_all(t, rest, rest_n) == 0)) {
            relay(fd, t);
        }
    } else {
        const char *bad = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
        write_all(fd, bad, strlen(bad));
    }
    if (t >= 0)
        close(t);
    free(head);
}

static void *conn_main(void *arg)
{
    conn *c = arg;
    serve(c->p, c->fd);
    pthread_mutex_lock(&c->p->mu);
    c->p->fds[c->slot] = -1;
    pthread_mutex_unlock(&c->p->mu);
    shutdown(c->fd, SHUT_RDWR);
    close(c->fd);
    free(c);
    return NULL;
}

static void *accept_main(void *arg)
{
    fake_proxy *p = arg;
    for (;;) {
        int fd = accept4(p->lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0 && errno == EINTR)
            continue;
        pthread_mutex_lock(&p->mu);
        int slot = -1;
        for (int i = 0; fd >= 0 && !p->stopping && i < MAX_CONNS && slot < 0; i++)
            if (p->fds[i] < 0 && !p->used[i])
                slot = i;
        for (int i = 0; fd >= 0 && slot < 0 && !p->stopping && i < MAX_CONNS; i++)
            if (p->fds[i] < 0 && p->used[i]) {   /* a finished thread: reap its slot */
                pthread_join(p->threads[i], NULL);
                p->used[i] = false;
                slot = i;
            }
        bool stop = p->stopping || fd < 0;
        if (!stop && slot >= 0) {
            conn *c = malloc(sizeof *c);
            *c = (conn){p, slot, fd};
            p->fds[slot] = fd;
            p->used[slot] = true;
            pthread_create(&p->threads[slot], NULL, conn_main, c);
        }
        pthread_mutex_unlock(&p->mu);
        if (stop) {
            if (fd >= 0)
                close(fd);
            return NULL;
        }
        if (slot < 0)
            close(fd);   /* over MAX_CONNS at once: refused */
    }
}

fake_proxy *fp_start(void)
{
    fake_proxy *p = calloc(1, sizeof *p);
    pthread_mutex_init(&p->mu, NULL);
    for (int i = 0; i < MAX_CONNS; i++)
        p->fds[i] = -1;
    p->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    if (p->lfd < 0 || bind(p->lfd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        listen(p->lfd, 64) != 0 || getsockname(p->lfd, (struct sockaddr *)&sa, &sl) != 0) {
        if (p->lfd >= 0)
            close(p->lfd);
        free(p);
        return NULL;
    }
    p->port = ntohs(sa.sin_port);
    pthread_create(&p->acceptor, NULL, accept_main, p);
    return p;
}

void fp_stop(fake_proxy *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stopping = true;
    for (int i = 0; i < MAX_CONNS; i++)
        if (p->fds[i] >= 0)
            shutdown(p->fds[i], SHUT_RDWR);
    pthread_mutex_unlock(&p->mu);
    shutdown(p->lfd, SHUT_RDWR);   /* wakes accept() */
    pthread_join(p->acceptor, NULL);
    close(p->lfd);
    for (int i = 0; i < MAX_CONNS; i++)
        if (p->used[i])
            pthread_join(p->threads[i], NULL);
    for (size_t i = 0; i < p->nlines; i++)
        free(p->lines[i]);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

int fp_port(const fake_proxy *p) { return p->port; }

size_t fp_count(fake_proxy *p, const char *needle)
{
    size_t n = 0;
    pthread_mutex_lock(&p->mu);
    for (size_t i = 0; i < p->nlines; i++)
        n += strstr(p->lines[i], needle) != NULL;
    pthread_mutex_unlock(&p->mu);
    return n;
}
