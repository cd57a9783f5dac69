/* metrics: one worker's measurements during a run (no locks: each worker
 * owns its own), merged into a result_t once the workers have stopped. */
#ifndef WSGATE_METRICS_H
#define WSGATE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "hist.h"
#include "result.h"

/* Owns lat[] histograms and error samples. */
typedef struct metrics {
    size_t nsteps; /* spec_t.nmetrics; [0] is connect */
    hist_t **lat;
    uint64_t *ok;
    uint64_t *failed;
    uint64_t sent, received;
    uint64_t bytes_sent, bytes_received;
    res_errors_t errors[ERR_KIND_COUNT];
} metrics_t;

/* Returns zeroed metrics for nsteps steps, or NULL. */
metrics_t *metrics_new(size_t nsteps);
void metrics_free(metrics_t *m);

/* Records a successful sample of step (latency in microseconds). */
void metrics_ok(metrics_t *m, int step, uint64_t latency_us);
/* Records a failed attempt of step (step < 0: no step, error only). */
void metrics_fail(metrics_t *m, int step);
/* Counts an error of kind, keeping the first few formatted samples. */
void metrics_error(metrics_t *m, err_kind_t kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Adds src into the result's steps, counters and errors (samples are
 * copied while there is room). r->steps must already hold m->nsteps
 * steps with histograms. Returns 0, or -1 on allocation failure. */
int metrics_merge_into(result_t *r, const metrics_t *src);

#endif
