/* metrics: one worker's measurements during a run (no locks: each worker
 * owns its own), merged into a result_t once the workers have stopped. */
#ifndef WSGATE_METRICS_H
#define WSGATE_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "result/hist.h"
#include "result/result.h"

/* One closed second of one worker's time series. Owns lat and its strings. */
typedef struct metrics_second {
    uint64_t sent, received, errors;
    uint64_t errors_by_kind[ERR_KIND_COUNT];
    char **lat; /* [nsteps] hist_encode text, NULL when no sample */
} metrics_second_t;

/* Owns lat[] histograms, error samples and the time series. */
typedef struct metrics {
    size_t nsteps; /* spec_t.nmetrics; [0] is connect */
    hist_t **lat;
    uint64_t *ok;
    uint64_t *failed;
    uint64_t sent, received;
    uint64_t bytes_sent, bytes_received;
    uint64_t connect_abandoned;  /* connects still pending (or never started) when the run ended */
    uint64_t connect_attempts;   /* connects started, plus those owed but never started */
    uint64_t connect_unstarted;  /* of abandoned: due before the end, never started */
    uint64_t reconnect_attempts; /* connects made by the automatic reconnect policy */
    res_wire_t wire;             /* TCP counts of closed connections, deflate offers */
    uint64_t tls_handshakes;     /* wss:// connects whose TLS handshake completed */
    uint64_t tls_resumed;        /* of those, handshakes that resumed a session */
    res_ramp_t ramp;             /* this worker's ramp plan, connects and queue figures */
    res_slow_t slow;             /* unread bytes of slow consumers (vu_flow.c) */
    res_errors_t errors[ERR_KIND_COUNT];

    /* Time series: second s covers [t0_us + s*1e6, t0_us + (s+1)*1e6). */
    uint64_t t0_us;         /* monotonic start of second 0 */
    metrics_second_t *secs; /* closed seconds [0, nsecs) */
    size_t nsecs, capsecs;
    uint64_t cur_sec;                               /* the open second */
    hist_t **cur;                                   /* [nsteps] the open second's samples */
    bool *cur_used;                                 /* [nsteps] cur[i] has samples */
    uint64_t snap_sent, snap_received, snap_errors; /* when cur_sec opened */
    uint64_t snap_errors_by_kind[ERR_KIND_COUNT];
} metrics_t;

/* Returns zeroed metrics for nsteps steps, or NULL. */
metrics_t *metrics_new(size_t nsteps);
void metrics_free(metrics_t *m);

/* Records a successful sample of step (latency in microseconds). */
void metrics_ok(metrics_t *m, int step, uint64_t latency_us);
/* Records a failed attempt of step (step < 0: no step, error only). */
void metrics_fail(metrics_t *m, int step);
/* Counts an error of kind, keeping the first few distinct formatted
 * samples. A text over 511 bytes is cut at a character boundary and ends
 * with "…". */
void metrics_error(metrics_t *m, err_kind_t kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* metrics_error whose sample is the formatted text followed by the first
 * 120 bytes of data[0..len) as received (any bytes): each NUL is stored as
 * the two characters "\0", the cut falls on a character boundary and ends
 * with "…". */
void metrics_error_data(metrics_t *m, err_kind_t kind, const char *data, size_t len,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Closes every second that ended before now_us (monotonic). Called by the
 * worker at least every 100 ms, so message counts land in the right second
 * to within that. Returns 0, or -1 on allocation failure. */
int metrics_tick(metrics_t *m, uint64_t now_us);
/* Closes the open second (end of the run). */
int metrics_finish(metrics_t *m);

/* Sums second s of n workers into dst, as result.json's series has it:
 * secs[w] is worker w's second s, NULL when it has none. Counters add up;
 * dst->step_hist becomes an array of nsteps texts (NULL: no sample that
 * second), which dst owns. acc[0..nsteps) are the caller's histograms: on
 * return acc[i] holds step i's merged second. Returns 0, or -1 when out of
 * memory (dst may then hold part of its texts). */
int metrics_merge_second(res_second_t *dst, const metrics_second_t *const *secs, size_t n,
                         size_t nsteps, hist_t *const *acc);

/* Copies src's counters, histograms and error counts (not samples, not the
 * series) into dst, which has the same number of steps. */
void metrics_snapshot(metrics_t *dst, const metrics_t *src);

/* Frees a second's latency texts (nsteps of them) and clears it. */
void metrics_second_clear(metrics_second_t *sec, size_t nsteps);

/* Adds src into the result's steps, counters and errors (samples are
 * copied while there is room). r->steps must already hold m->nsteps
 * steps with histograms. Returns 0, or -1 on allocation failure. */
int metrics_merge_into(result_t *r, const metrics_t *src);

#endif
