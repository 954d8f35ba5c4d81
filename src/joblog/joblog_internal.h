/* Shared by the src/joblog/ files only: the set, the Redis flusher ("sink") and the FILE
 * helpers. Locking rules are written next to the data they protect. */
#ifndef BERTH_JOBLOG_INTERNAL_H
#define BERTH_JOBLOG_INTERNAL_H

#include <pthread.h>

#include "joblog/joblog.h"
#include "store/pool.h"

#define JL_TTL_RUNNING (7 * 86400)   /* while a run writes, and after a failed run */
#define JL_TTL_OK 86400              /* after a successful run: the stats' TTL */
#define JL_PENDING_MAX ((size_t)1 << 20)  /* a run's unflushed Redis bytes */

typedef struct jl_sink jl_sink;
typedef struct jl_pending jl_pending;

struct berth_joblogs {
    joblog_backend_cfg b[JOBLOG_MAX_BACKENDS];  /* copies; strings owned */
    size_t nb;
    size_t run_max;
    bool has_redis;
    rtarget redis;                /* owned copy when has_redis */
    char *key_prefix;             /* "{ns}:berth:joblog:" */
    berth_logger log;
    int ttl_cap_s;                /* REDIS sweep_days in seconds; 0 = none */
    size_t redis_max;             /* REDIS key cap */
    int give_up_ms;               /* REDIS outage after which ended runs' bytes are dropped */
    jl_sink *sink;                /* NULL without a REDIS backend */

    rpool pool;                   /* getter connections, when has_redis */

    pthread_mutex_t sw_mu;        /* guards sw_stop, sw_passes, started */
    pthread_cond_t sw_cv;
    bool sw_stop;
    bool sw_thread;               /* the sweeper thread runs */
    unsigned sw_passes;
    bool started;
    pthread_t sweeper;
};

/* set.c: a getter connection (5 s timeout) from the set's pool, or NULL when Redis cannot
 * be reached (err gets why); jl_conn_put gives it back (NULL-safe). */
rconn *jl_conn_get(joblog_set *s, char *err, size_t errlen);
void jl_conn_put(joblog_set *s, rconn *rc);
/* "{ns}:berth:joblog:<id>" into out (a buf, reset first). */
void jl_key(const joblog_set *s, const char *id, buf *out);

/* file.c: FILE backend. jl_file_open returns an fd or -1 (reported through lg). */
int jl_file_open(const char *dir, const char *id, const berth_logger *lg);
/* Writes all of p; 0 or an errno value. */
int jl_file_write(int fd, const char *p, size_t n);
/* "<dir>/<id>.log" into path; false if it does not fit. */
bool jl_file_path(const char *dir, const char *id, char *path, size_t pathlen);

/* redis_sink.c: the background flusher. */
jl_sink *jl_sink_new(joblog_set *s);   /* NULL when memory ran out */
void jl_sink_free(jl_sink *k);         /* stops the thread after a last flush */
/* A run's pending buffer for key (the run holds one reference until jl_sink_close); NULL
 * (logged) when memory ran out: that run's lines do not reach Redis. */
jl_pending *jl_sink_open(jl_sink *k, const char *key);
/* Queues bytes; false when the pending buffer is full (the bytes are dropped). */
bool jl_sink_append(jl_sink *k, jl_pending *p, const char *bytes, size_t n);
/* Marks the run ended (ok: its key's TTL becomes JL_TTL_OK) and wakes the flusher, which
 * writes it with the other ended runs at once; never waits. True when bytes of it are not
 * in Redis yet (then jl_sink_wait for them). */
bool jl_sink_end(jl_sink *k, jl_pending *p, bool ok);
/* After jl_sink_end: waits up to wait_ms (0: not at all) for the run's last bytes to be
 * written. True when they were (or were given up after a long outage: redis_sink.c). */
bool jl_sink_wait(jl_sink *k, jl_pending *p, int wait_ms);
/* The run lets go of p (after jl_sink_end; the sink writes what is left without it). */
void jl_sink_let_go(jl_sink *k, jl_pending *p);
/* The bytes and lines lost since the sink was made (redis_sink.c says which count). */
void jl_sink_drops(jl_sink *k, uint64_t *bytes, uint64_t *lines);

/* sweep.c */
void jl_sweeper_start(joblog_set *s);
void jl_sweeper_stop(joblog_set *s);

#endif
