/* gen: how the load generator itself fared during a run (issue 14): its
 * event loops' lag, the process CPU and memory, second by second, and
 * whether it was saturated, i.e. whether its own delay went into the
 * latencies it measured.
 *
 * The saturation rule (one place: gen_summarize):
 *   - a worker's loop lag is how late a probe timer on its event loop fires
 *     after the time it was due, every 10 ms, weighted by time (a loop
 *     stalled for 300 ms counts 30 late probes: engine/selfmon.h); each
 *     second's lag p99 is taken over every worker's probes due in it;
 *   - a second is saturated when its lag p99 is above lag_limit_ms;
 *   - lag_limit_ms = 5% of the spec's smallest expect timeout (the default
 *     10 s when no step expects), kept within [10 ms, 1000 ms]
 *     (gen_lag_limit_ms): a delay that large turns into timeouts and
 *     latencies off by a share no report should hide; tighter bounds are
 *     the assertion generator.loop_lag_p99 < VALUE;
 *   - the run is saturated when any second is.
 * CPU is not part of the rule (a busy process with a prompt loop measures
 * well; an idle one starved by its machine does not); it is shown next to
 * the lag as supporting evidence. */
#ifndef WSGATE_GEN_H
#define WSGATE_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GEN_LAG_LIMIT_MIN_MS 10.0
#define GEN_LAG_LIMIT_MAX_MS 1000.0
#define GEN_DEFAULT_TIMEOUT_US 10000000ull /* expect.timeout when none is written */
#define GEN_LAG_LIMIT_SHARE 0.05           /* of the smallest expect timeout */

/* One second of the generator, from the run's started_at. */
typedef struct res_gen_sec {
    double cpu_pct;         /* process user+sys CPU, % of one core (200 = two cores busy) */
    double loop_lag_p99_ms; /* over every worker's ticks in the second */
    double loop_lag_max_ms;
    double rss_mb; /* resident memory at the end of the second, MiB */
    bool saturated;
} res_gen_sec_t;

/* Saturated seconds [from, to): the run's seconds from..to-1. */
typedef struct res_gen_range {
    uint32_t from, to;
} res_gen_range_t;

struct res_gen;

/* One input of a merged result. Owns gen (NULL: that input has no
 * generator data, a file from before it). */
typedef struct res_gen_shard {
    unsigned index; /* K of --shard K/N, else the input's position from 1 */
    struct res_gen *gen;
} res_gen_shard_t;

/* Owns secs, ranges and shards. */
typedef struct res_gen {
    unsigned cores;      /* online cores of the machine that ran (0: several, a merge) */
    double lag_limit_ms; /* the saturation limit that applied */
    res_gen_sec_t *secs;
    size_t nsecs;
    /* Summary. loop_lag_p99_ms is over every tick of the run, set by whoever
     * has the samples (the engine, a loaded file, a merge: the worst
     * input); gen_summarize derives the rest from secs. */
    double cpu_pct_max; /* % of one core */
    double loop_lag_p99_ms;
    double loop_lag_max_ms;
    double rss_max_mb;
    bool saturated;
    res_gen_range_t *ranges;
    size_t nranges;
    res_gen_shard_t *shards; /* merged results only */
    size_t nshards;
} res_gen_t;

/* The saturation limit for a spec whose smallest expect timeout is
 * min_timeout_us (0: no step expects: GEN_DEFAULT_TIMEOUT_US): GEN_LAG_LIMIT_SHARE of it within
 * [GEN_LAG_LIMIT_MIN_MS, GEN_LAG_LIMIT_MAX_MS]. */
double gen_lag_limit_ms(uint64_t min_timeout_us);

/* The rule for one second: its loop lag p99 is above the limit. */
bool gen_sec_saturated(double loop_lag_p99_ms, double lag_limit_ms);

/* Applies the rule to g->secs: marks each second, sets saturated, ranges
 * and the maxima (cpu_pct_max, loop_lag_max_ms, rss_max_mb; the maxima
 * only when there are seconds, so a summary loaded without them stays).
 * A second already marked saturated stays so (a merge ORs its inputs').
 * Returns 0, or -1 when out of memory. */
int gen_summarize(res_gen_t *g);

/* Appends the saturated range [from, to) to g->ranges. Returns 0 or -1. */
int gen_add_range(res_gen_t *g, uint32_t from, uint32_t to);

/* The highest cpu_pct as a share of all the machine's cores (0 when
 * cores is unknown). */
double gen_cpu_all_cores_pct(const res_gen_t *g);

/* The warning every report shows for a saturated run, without a leading
 * symbol: "The load generator was saturated from t=12 s to t=31 s:
 * latencies there include up to 240 ms of runner delay (loop lag p99 above
 * 50 ms; CPU up to 99% of one core)". Writes "" when g is NULL or not
 * saturated. */
void gen_warning(const res_gen_t *g, char *buf, size_t n);

/* A deep copy of g, or NULL when g is NULL or out of memory. */
res_gen_t *gen_copy(const res_gen_t *g);

/* Frees g and everything it owns; NULL is fine. */
void gen_free(res_gen_t *g);

#endif
