/* Early bind and port-owner lookup; see listener.h. */
#include "server/listener.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "berth/error.h"

/* The inode of the socket listening on port in a /proc/net/tcp{,6} table, or 0. */
static unsigned long listening_inode(const char *table, int port)
{
    FILE *f = fopen(table, "r");
    if (!f)
        return 0;
    char line[512];
    unsigned long inode = 0;
    while (!inode && fgets(line, sizeof line, f)) {
        char local[64];
        unsigned state = 0, lport = 0;
        unsigned long ino = 0;
        /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
        if (sscanf(line, " %*s %63s %*s %x %*s %*s %*s %*s %*s %lu", local, &state, &ino) != 3)
            continue;
        const char *colon = strrchr(local, ':');
        if (colon && sscanf(colon + 1, "%x", &lport) == 1 && (int)lport == port && state == 0x0A)
            inode = ino;
    }
    fclose(f);
    return inode;
}

/* The process with an fd on socket:[inode], or 0. */
static long socket_owner(unsigned long inode)
{
    char want[64];
    snprintf(want, sizeof want, "socket:[%lu]", inode);
    DIR *proc = opendir("/proc");
    long found = 0;
    struct dirent *p;
    while (proc && !found && (p = readdir(proc))) {
        long pid = strtol(p->d_name, NULL, 10);
        char dir[64];
        snprintf(dir, sizeof dir, "/proc/%ld/fd", pid);
        DIR *fds = pid > 0 ? opendir(dir) : NULL;
        struct dirent *fd;
        while (fds && !found && (fd = readdir(fds))) {
            char path[340], target[64];
            snprintf(path, sizeof path, "%s/%s", dir, fd->d_name);
            ssize_t n = readlink(path, target, sizeof target - 1);
            if (n > 0 && (target[n] = '\0', strcmp(target, want) == 0))
                found = pid;
        }
        if (fds)
            closedir(fds);
    }
    if (proc)
        closedir(proc);
    return found;
}

long listener_port_owner(int port, char *name, size_t namelen)
{
    if (namelen)
        name[0] = '\0';
    unsigned long inode = listening_inode("/proc/net/tcp", port);
    if (!inode)
        inode = listening_inode("/proc/net/tcp6", port);
    long pid = inode ? socket_owner(inode) : 0;
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/comm", pid);
    FILE *f = pid > 0 ? fopen(path, "r") : NULL;
    if (f && namelen && fgets(name, (int)namelen, f))
        name[strcspn(name, "\n")] = '\0';
    if (f)
        fclose(f);
    return pid;
}

static void in_use(const char *host, int port, char *err, size_t errlen)
{
    char name[64];
    long pid = listener_port_owner(port, name, sizeof name);
    if (pid > 0)
        snprintf(err, errlen, "cannot listen on %s:%d: address in use by pid %ld (%s); stop "
                 "it, or set another port in the config", host, port, pid, name);
    else
        snprintf(err, errlen, "cannot listen on %s:%d: address in use by another process; "
                 "stop it, or set another port in the config", host, port);
}

int listener_resolve(const char *host, int port, struct sockaddr_storage *ss, socklen_t *len,
                     char *err, size_t errlen)
{
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE}, *ai = NULL;
    int rc = getaddrinfo(host && *host ? host : NULL, service, &hints, &ai);
    if (rc != 0 || !ai) {
        snprintf(err, errlen, "cannot resolve listen address '%s': %s", host ? host : "",
                 rc ? gai_strerror(rc) : "no address");
        return BERTH_EINVAL;
    }
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    *len = ai->ai_addrlen;
    freeaddrinfo(ai);
    return 0;
}

int listener_bind(const char *host, int port, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t len = 0;
    int rc = listener_resolve(host, port, &ss, &len, err, errlen);
    if (rc != 0)
        return rc;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1, eno = 0;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 128) != 0)
        eno = errno;
    if (eno == 0)
        return fd;
    if (fd >= 0)
        close(fd);
    if (eno == EADDRINUSE)
        in_use(host && *host ? host : "*", port, err, errlen);
    else
        snprintf(err, errlen, "cannot listen on %s:%d: %s", host && *host ? host : "*", port,
                 strerror(eno));
    return BERTH_EIO;
}
