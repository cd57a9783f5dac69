/* selfmon: the load generator watching itself (issue 14). Each worker's
 * loop runs a probe timer every SELFMON_PROBE_US and records how late it
 * fires (the loop's lag) into per-second histograms of its own, with no
 * locks: only the worker writes them and the engine reads them after
 * joining it. A probe late by more than its interval also records the
 * probes that could not fire meanwhile (at the lag each had reached), so
 * the histogram weighs lag by time: a second's p99 is the lag the loop
 * stayed under for 99% of that second, whether it was late a little all
 * the time or very late once. Each second, once no probe can record into
 * it, goes to the monitor (engine/series.c), which merges the workers' and
 * keeps its p99 and max (selfmon_lagsum_t). The monitoring thread samples
 * the process CPU (getrusage) and resident memory (/proc/self/statm) once a
 * second. After the run, selfmon_result puts both into r->generator, where
 * result/gen.h's rule says whether the generator was saturated. */
#ifndef WSGATE_SELFMON_H
#define WSGATE_SELFMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "result/result.h"
#include "spec/spec.h"

/* Lag buckets: [0, 256) us, then four per power of two up to 2^24 us
 * (about 17 s, within 19%), then everything above. */
#define SELFMON_LAG_BUCKETS 66
#define SELFMON_PROBE_US 10000u /* 100 samples a second per worker */

/* One worker-second of lag samples, in microseconds. */
typedef struct lag_hist {
    uint32_t count;
    uint32_t max_us; /* exact (saturating at about 71 minutes) */
    uint32_t b[SELFMON_LAG_BUCKETS];
} lag_hist_t;

/* One worker's loop lag. Owns secs. */
typedef struct selfmon_lag {
    ev_timer probe;   /* on the worker's loop, between start and stop */
    uint64_t due_us;  /* when the probe is due */
    uint64_t t0_us;   /* monotonic start of second 0 */
    lag_hist_t *secs; /* [nsecs], secs[i] is second base + i from t0_us */
    size_t nsecs, cap;
    size_t base;       /* seconds handed over and dropped (selfmon_lag_drop) */
    uint64_t stall_us; /* WSGATE_TEST_STALL_MS (tests only; 0: off) */
    uint64_t next_stall;
} selfmon_lag_t;

/* Clears l for a run whose second 0 starts at t0_us, and reads the
 * test-only WSGATE_TEST_STALL_MS. */
void selfmon_lag_init(selfmon_lag_t *l, uint64_t t0_us);
/* Stops the probe (when loop is not NULL) and frees the series. */
void selfmon_lag_release(selfmon_lag_t *l, struct ev_loop *loop);

/* Starts the probe on the worker's loop (from the worker's thread), its
 * first due at now_us. */
void selfmon_lag_start(selfmon_lag_t *l, struct ev_loop *loop, uint64_t now_us);

/* A probe due at due_us fired at now_us: records now - due in the second
 * of due and, for each probe interval the loop was late beyond it, the lag
 * the probe due then had reached by now, in its own second. Before t0
 * nothing is recorded. O(1) but for stalls; allocates only when a second
 * is first reached (best effort: out of memory loses the sample). */
void selfmon_lag_record(selfmon_lag_t *l, uint64_t due_us, uint64_t now_us);

/* How many of the seconds l holds (from secs[0]) no probe can record into
 * any more: every record from now on is for the next probe's due time or
 * later. */
size_t selfmon_lag_final(const selfmon_lag_t *l);
/* Drops the first k seconds l holds (handed over to the monitor); the
 * seconds after them keep their numbers. */
void selfmon_lag_drop(selfmon_lag_t *l, size_t k);

/* The workers' loop lag merged second by second while the run goes on
 * (engine/series.c adds each second once every worker's is final): each
 * second's p99 and max, and the whole run's histogram. Owns its arrays. */
typedef struct selfmon_lagsum {
    double *p99_ms, *max_ms; /* [n] */
    size_t n, cap;
    lag_hist_t all;
} selfmon_lagsum_t;

/* Appends the next second, sec being every worker's lag of it merged.
 * Returns 0, or -1 when out of memory. */
int selfmon_lagsum_add(selfmon_lagsum_t *s, const lag_hist_t *sec);
void selfmon_lagsum_release(selfmon_lagsum_t *s);

/* Test only: with WSGATE_TEST_STALL_MS=N set, blocks the calling worker for
 * N ms about once a second, so its loop lags the way a starved generator's
 * does (tests/integration/it_generator.sh). Does nothing otherwise. */
void selfmon_test_stall(selfmon_lag_t *l, uint64_t now_us);

/* Bucket of a lag in microseconds. */
size_t selfmon_lag_bucket(uint64_t lag_us);
/* Value at percentile p (0 < p <= 100) of h: the midpoint of the bucket
 * that reaches it, at most h->max_us (h->max_us itself when the rank is
 * the last sample); 0 when h is empty. */
uint64_t selfmon_lag_percentile(const lag_hist_t *h, double p);
/* Adds src's samples into dst. */
void selfmon_lag_merge(lag_hist_t *dst, const lag_hist_t *src);

/* The process's CPU and memory, one entry a second. Owns its arrays. */
typedef struct selfmon_proc {
    uint64_t t0_us;
    uint64_t last_us, last_cpu_us; /* the sample the next second's CPU is measured from */
    size_t sec;                    /* the second in progress */
    double *cpu_pct, *rss_mb;      /* [n] */
    size_t n, cap;
} selfmon_proc_t;

/* Clears p and takes its first CPU sample (now_us). */
void selfmon_proc_start(selfmon_proc_t *p, uint64_t t0_us, uint64_t now_us);
/* Called several times a second: when a second (or more) has ended since
 * the last call that closed one, records the CPU used since then and the
 * resident memory now for each of them. */
void selfmon_proc_sample(selfmon_proc_t *p, uint64_t now_us);
/* Closes the second in progress at the end of the run. */
void selfmon_proc_finish(selfmon_proc_t *p, uint64_t now_us);
void selfmon_proc_release(selfmon_proc_t *p);

/* Resident MiB from the text of /proc/self/statm and the page size;
 * false when the text is not statm's. */
bool selfmon_parse_statm(const char *text, long page_size, double *mb);

/* The smallest expect timeout of the spec's steps (0: no expect). */
uint64_t selfmon_min_expect_timeout(const spec_t *spec);

/* Sets r->generator from the workers' merged lag series lag, the process
 * series p (NULL: none), the saturation limit and the machine's cores.
 * Returns 0, or -1 when out of memory. */
int selfmon_result(result_t *r, const selfmon_lagsum_t *lag, const selfmon_proc_t *p,
                   double limit_ms, unsigned cores);

#endif
