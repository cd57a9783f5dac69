/* asrt: service-level assertions, parsed when the spec loads and evaluated
 * on a finished result.
 *
 *   AGG(STEP) OP VALUE[UNIT]    AGG: p50 p90 p95 p99 p99.9 avg min max
 *                                    (time: unit us|ms|s required)
 *                               count failures (plain number)
 *                               rate (per second of run, optional "/s")
 *                               success_rate (unit % required)
 *   STEP.success_rate OP N%     e.g. connect.success_rate >= 99.5%
 *   STEP.count | STEP.failures (or STEP.failed) | STEP.rate OP N
 *   errors.KIND OP N            KIND: timeout refused reset closed tls dns
 *                               http_status unexpected_message protocol blocked
 *                               total
 *   messages.sent | messages.received | connections.peak OP N
 *   connections.abandoned | connections.reconnect_attempts OP N
 *   slow_consumers.samples OP N     the bytes slow readers left unread
 *   slow_consumers.unread_bytes_total | slow_consumers.unread_bytes_max
 *                        OP VALUE    (result.json's slow_consumers; VALUE a
 *                               number or a size: B KB MB GB TB); only in a
 *                               spec with connect.read_rate or pause_reading
 *   generator.saturated == false | generator.saturated != true
 *   generator.loop_lag_p99 | generator.loop_lag_max OP VALUE(us|ms|s)
 *                               (the load generator's own figures, result/gen.h;
 *                               known only after the run: no abort_on_fail)
 *   AGG(server.SEL) OP VALUE    the server's metrics the spec observes
 *                               (observe:, result/observed.h); SEL is NAME
 *                               or NAME{label="value",...} as observed:
 *                               max, last (VALUE a number or a size: B KB
 *                               MB GB TB, powers of 1024), rate (per second,
 *                               optional "/s"), drift (unit % required);
 *                               known only after the run: no abort_on_fail,
 *                               no baseline
 *   OP: < <= > >= == !=
 * STEP is a step name as written in the spec (spaces allowed), or connect.
 *
 * Relative to a baseline result (--baseline): the threshold is
 *   baseline | baseline * F | baseline + VALUE[UNIT] | baseline - VALUE[UNIT]
 * where baseline is the same aggregate of the same metric in the baseline.
 *
 * Abort on fail: a trailing ", abort_on_fail" or ", abort_on_fail after
 * DURATION" (default 0s) lets a live check stop the run as soon as the
 * assertion fails once the grace period has passed; on a counter it needs
 * an upper bound (< <= or == 0). */
#ifndef WSGATE_ASRT_H
#define WSGATE_ASRT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "result/result.h"

typedef enum asrt_agg {
    AGG_PERCENTILE, /* pct holds 50, 99.9, ... */
    AGG_AVG,
    AGG_MIN,
    AGG_MAX,
    AGG_COUNT,
    AGG_FAILURES,
    AGG_RATE,
    AGG_SUCCESS_RATE,
    AGG_ERRORS, /* metric holds the kind name or "total" */
    AGG_MSGS_SENT,
    AGG_MSGS_RECEIVED,
    AGG_CONN_PEAK,
    AGG_ARRIVALS_PLANNED, /* open model: arrivals.planned / started / dropped */
    AGG_ARRIVALS_STARTED,
    AGG_ARRIVALS_DROPPED,
    AGG_CONN_ABANDONED,          /* connections.abandoned */
    AGG_CONN_RECONNECT_ATTEMPTS, /* connections.reconnect_attempts */
    AGG_GEN_SATURATED,           /* generator.saturated: 1 or 0 */
    AGG_GEN_LAG_P99,             /* generator.loop_lag_p99 */
    AGG_GEN_LAG_MAX,             /* generator.loop_lag_max */
    AGG_SERVER_MAX,              /* max(server.SEL): metric holds SEL */
    AGG_SERVER_LAST,             /* last(server.SEL) */
    AGG_SERVER_RATE,             /* rate(server.SEL), per second over the steady window */
    AGG_SERVER_DRIFT,            /* drift(server.SEL), percent */
    AGG_SLOW_SAMPLES,            /* slow_consumers.samples */
    AGG_SLOW_UNREAD_TOTAL,       /* slow_consumers.unread_bytes_total, bytes */
    AGG_SLOW_UNREAD_MAX,         /* slow_consumers.unread_bytes_max, bytes */
} asrt_agg_t;

typedef enum asrt_op { OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE } asrt_op_t;

/* The unit the user wrote, so observed and expected values are shown in it. */
typedef enum asrt_unit {
    ASRT_UNIT_NONE, /* counts */
    ASRT_UNIT_US,
    ASRT_UNIT_MS,
    ASRT_UNIT_S,
    ASRT_UNIT_PERCENT,
    ASRT_UNIT_PER_S, /* rates, whether or not "/s" was written */
    ASRT_UNIT_BYTE,  /* sizes: B KB MB GB TB (powers of 1024) */
    ASRT_UNIT_KB,
    ASRT_UNIT_MB,
    ASRT_UNIT_GB,
    ASRT_UNIT_TB,
} asrt_unit_t;

/* Owns text and metric. */
typedef struct asrt {
    char *text; /* as written */
    int line;   /* spec line, 0 if unknown (set by the caller) */
    asrt_agg_t agg;
    double pct;   /* AGG_PERCENTILE only */
    char *metric; /* step name, error kind for AGG_ERRORS, selector for server.*; else NULL */
    asrt_op_t op;
    double threshold; /* normalised: microseconds for time, percent, per second, count */
    asrt_unit_t unit; /* as written; res_assertion_t values are expressed in it */
    bool relative;    /* threshold = baseline value * factor + offset */
    double factor;
    double offset; /* normalised like threshold */
    bool abort_on_fail;
    uint64_t abort_grace_us; /* since the start of the run */
} asrt_t;

/* True for the generator.* figures. */
bool asrt_is_generator(const asrt_t *a);

/* True for the server.* aggregates (max, last, rate, drift). */
bool asrt_is_server(const asrt_t *a);

/* True for the arrivals.* counters, which only an open-model run has. */
bool asrt_is_arrivals(const asrt_t *a);

/* True for the slow_consumers.* figures, which only a spec with slow
 * readers (connect.read_rate, pause_reading steps) has. */
bool asrt_is_slow(const asrt_t *a);

/* Parses one assertion. Returns 0, or -1 with a one-line reason in err that
 * says what to write instead (e.g. 'p50 needs a time unit: write "200ms"').
 * On success the caller owns out and clears it with asrt_clear(). */
int asrt_parse(const char *text, asrt_t *out, char *err, size_t errlen);

/* Checks that the named metric exists among the step names the spec can
 * produce. Returns 0, or -1 with a reason listing the known names. */
int asrt_check(const asrt_t *a, const char *const *step_names, size_t nsteps, char *err,
               size_t errlen);

/* Evaluates on a finished result and fills out (which the caller owns and
 * later frees as part of the result). Returns 0, or -1 on allocation failure. */
int asrt_eval(const asrt_t *a, const result_t *r, res_assertion_t *out);

/* For a relative assertion: checks that the baseline has the value it
 * compares with. Returns 0 (also for absolute assertions), or -1 with a
 * reason ("baseline has no step \"x\"" / "... has no samples"). */
int asrt_check_baseline(const asrt_t *a, const result_t *baseline, char *err, size_t errlen);

void asrt_clear(asrt_t *a);

#endif
