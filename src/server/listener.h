/* berthd's listening socket, bound before anything else starts (Redis, the engine), so a
 * second berthd on a taken port stops before it touches any data, and says which process
 * holds the port. The HTTP server then serves on this socket (http_config.listen_fd). */
#ifndef BERTH_SERVER_LISTENER_H
#define BERTH_SERVER_LISTENER_H

#include <stddef.h>
#include <sys/socket.h>

/* Binds and listens on host:port (numeric or name; port 0 → ephemeral). Returns the
 * socket (close-on-exec), or a negative BERTH_E* code with err saying who holds the port
 * when it is in use: "cannot listen on 127.0.0.1:8080: address in use by pid N (berthd)". */
int listener_bind(const char *host, int port, char *err, size_t errlen);

/* Resolves host:port (NULL or "" → all interfaces) into *ss. 0, or BERTH_EINVAL. */
int listener_resolve(const char *host, int port, struct sockaddr_storage *ss, socklen_t *len,
                     char *err, size_t errlen);

/* The pid of the process listening on TCP port (IPv4 or IPv6, any address), found
 * through /proc; 0 when unknown (another user's process, or none). name gets its
 * command name ("" when unknown). */
long listener_port_owner(int port, char *name, size_t namelen);

#endif
