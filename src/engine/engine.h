/* engine: runs a compiled plan. Worker threads, each with its own
 * lws_context (Debian's libwebsockets serves one thread per context), own
 * the virtual users dealt to them (user k -> worker k % threads), pace them
 * with one timer queue and one loop timer each (worker.h), and keep their own metrics,
 * merged into a result_t after all workers stop. In the open model
 * (spec->open_model) each worker instead owns every threads-th arrival of
 * the schedule (load.h) and session slots: a due arrival starts a session
 * while fewer than the process's max_users run (counted across workers),
 * else it is dropped and counted. */
#ifndef WSGATE_ENGINE_H
#define WSGATE_ENGINE_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "result/result.h"
#include "spec/spec.h"
#include "engine/srcaddr.h"

/* A snapshot of a running test, for the live progress line. */
typedef struct engine_progress {
    double elapsed_s;
    double duration_s; /* planned */
    uint64_t active;   /* open connections */
    uint64_t msgs_sent, msgs_received;
    uint64_t errors;       /* all kinds */
    const char *main_step; /* the first named step, else "connect" */
    uint64_t main_p95_us;  /* highest of the workers' p95 so far (0: none) */
    /* the first observe: scrape that failed ("observe URL: reason"), NULL
     * while none has; borrowed for the call */
    const char *observe_error;
} engine_progress_t;

typedef void (*engine_progress_fn)(const engine_progress_t *p, void *ctx);

/* What live watchers (--live, --metrics-listen) are handed: a second of the
 * run once every worker has closed it, with the run so far. Everything is
 * borrowed for the length of the call. */
typedef struct engine_live {
    /* The second that closed, as result_t.series[t] will hold it; NULL in a
     * call that only brings the totals up to date. */
    const res_second_t *sec;
    size_t t;                 /* sec's index: it covers [t, t + 1) s of the load */
    const hist_t *const *lat; /* [sofar->nsteps] sec's latencies per step (may be empty) */
    /* The run so far, as of this call: steps (name, ok, failed, latency),
     * msgs and bytes, error counts (no samples, no series). */
    const result_t *sofar;
    uint64_t active;  /* open connections now */
    double elapsed_s; /* since the load started */
    bool final;       /* the workers have stopped: sofar is the run's total */
    /* The generator in second t, as result.json's generator.secs[t] holds
     * it: loop lag over the probes the workers had recorded when they
     * closed it, cpu_pct and rss_mb of the process's latest closed second,
     * saturated by result/gen.h's rule. With sec NULL: the last second's. */
    res_gen_sec_t gen;
    double lag_limit_ms;     /* the saturation limit (gen_lag_limit_ms) */
    uint64_t saturated_secs; /* seconds so far with gen.saturated */
    double cpu_s;            /* the process's CPU so far, user + sys */
} engine_live_t;

typedef void (*engine_live_fn)(const engine_live_t *lv, void *ctx);

typedef struct engine_opts {
    unsigned threads; /* --threads; 0 = one per core */
    /* Connects in flight per worker at most (users beyond it wait for a
     * slot, timed from their planned start); 0 = CONNQ_DEFAULT_LIMIT (2000).
     * The spec's load.max_connecting, a total, overrides it. */
    unsigned max_connecting;
    uint64_t seed;               /* --seed; 0 = from the clock */
    const atomic_int *stop_flag; /* non-zero: end the run now */
    engine_progress_fn progress; /* called about once a second; NULL: none */
    void *progress_ctx;
    /* --shard K/N: run only users k (open model: arrivals k) with
     * k % N == K - 1 (1-based K), each on its global schedule, so N shards
     * add up to the whole load and user ids never collide; the open model's
     * max_users is shared out the same way. 0/0: the whole load. */
    unsigned shard_index, shard_total;
    /* --source-addrs: user k connects from addrs[k % n]; NULL: any. */
    const srcaddrs_t *source_addrs;
    /* Called four times a second with the run so far (steps, counters,
     * errors, errors.observe included; no series; duration_s = elapsed).
     * Returns true to stop the run now, with a reason in why. NULL: never
     * called. */
    bool (*abort_check)(result_t *live, double elapsed_s, void *ctx, char *why, size_t whylen);
    void *abort_ctx;
    /* Called on the monitoring thread for each second of the load, in order
     * and none skipped, within about 100 ms of the last worker closing it,
     * and once more (final, sec NULL unless seconds were still due) after
     * the workers stop. Must not block: the monitor waits for it. NULL:
     * never called. */
    engine_live_fn live;
    void *live_ctx;
    /* `run --serve`: the embedded server's ends of the connections are open
     * files of this process too (the open-file limit counts them). */
    bool in_process_server;
} engine_opts_t;

/* Runs spec to completion and fills r: steps (named after
 * spec->metric_names), counters, errors, timing. Assertions are left to the
 * caller. Returns 0, or -1 with a reason in err when the run could not
 * start (the caller then exits 3). r is the caller's; clear it with
 * result_clear(). */
int engine_run(const spec_t *spec, const engine_opts_t *opts, result_t *r, char *err,
               size_t errlen);

#endif
