/* Test fixture: a private redis-server on a random loopback port (and a unix socket) in a
 * fresh temp dir, started as a child process and stopped by pid. Tests labelled `redis`
 * use it; nothing in the suite touches a system Redis. */
#ifndef BERTH_TEST_REDIS_FIXTURE_H
#define BERTH_TEST_REDIS_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct redis_fixture {
    pid_t pid;          /* redis-server child, 0 when stopped */
    int port;           /* loopback TCP port */
    char dir[128];      /* temp dir holding the socket, log and any AOF */
    char sock[192];     /* unix socket path */
} redis_fixture;

/* Starts redis-server (extra args appended, NULL-terminated list, may be NULL) and waits
 * until it answers PING. Returns 0 or -1 with a message on stderr. */
int redis_fixture_start(redis_fixture *rf, const char *const *extra_args);
/* SIGTERM then SIGKILL after 2 s; removes the temp dir. Safe to call twice. */
void redis_fixture_stop(redis_fixture *rf);
/* Kills the server with SIGKILL (for fault tests) without removing the dir. */
void redis_fixture_kill(redis_fixture *rf);
/* Restarts a killed server on the same port and dir (same AOF if enabled). */
int redis_fixture_restart(redis_fixture *rf, const char *const *extra_args);
/* Runs one command (printf-style, hiredis syntax) on a connection of its own and returns
 * its reply (the caller frees it with freeReplyObject), or NULL when it could not. */
struct redisReply *redis_fixture_cmd(redis_fixture *rf, const char *fmt, ...);
/* The same for a command that must succeed: fails the test on no reply or an error reply. */
void redis_fixture_ok(redis_fixture *rf, const char *fmt, ...);
/* Runs one command (printf-style, hiredis syntax) and returns its integer reply, or -1. */
long long redis_fixture_int(redis_fixture *rf, const char *fmt, ...);
/* Polls that command (wait_until) until its integer reply is want, up to deadline_ms.
 * True when it was; false with the last reply on stderr. */
bool redis_fixture_wait_int(redis_fixture *rf, long long want, int deadline_ms,
                            const char *fmt, ...);
/* A loopback TCP port that was free a moment ago (for servers a test starts itself), below
 * the kernel's ephemeral range so that no client connection or port-0 server takes it
 * before the server binds it (redis_fixture.c). */
int redis_fixture_free_port(void);
/* A free port for a redis-server started with extra_args (redis_fixture_start's pick): one
 * whose cluster bus (port + 10000) exists when they hold --cluster-enabled. -1 if none. */
int redis_fixture_port_for(const char *const *extra_args);
/* redis-server's CPU time (user + system, s, from INFO cpu; 0 when it cannot be read): what
 * the benchmarks divide by the jobs for Redis's CPU per job. */
double redis_fixture_cpu_s(redis_fixture *rf);
/* FLUSHALL between tests. */
void redis_fixture_flush(redis_fixture *rf);

/* Runs a cmocka group with rf started before its first test and stopped after its last
 * (the group set-up every redis test file repeated). Returns cmocka's result, or 1 when
 * redis-server did not start. Use REDIS_FIXTURE_RUN(&rf, tests) from main. */
struct CMUnitTest;
int redis_fixture_run(redis_fixture *rf, const char *name, const struct CMUnitTest *tests,
                      size_t n);
#define REDIS_FIXTURE_RUN(rf, tests)                                                          \
    redis_fixture_run((rf), #tests, (tests), sizeof(tests) / sizeof((tests)[0]))

#endif
