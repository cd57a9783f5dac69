/* result: a finished run, as every reporter and assertion sees it.
 * Built by the engine after its workers stop (or, later, decoded from a
 * result.json); never touched by live engine state. */
#ifndef WSGATE_RESULT_H
#define WSGATE_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hist.h"

typedef enum err_kind {
    ERR_TIMEOUT = 0,
    ERR_REFUSED,
    ERR_RESET,
    ERR_CLOSED,
    ERR_TLS,
    ERR_DNS,
    ERR_HTTP_STATUS,
    ERR_UNEXPECTED_MESSAGE,
    ERR_PROTOCOL,
    ERR_KIND_COUNT
} err_kind_t;

/* "timeout", "refused", ... ; NULL for an out-of-range kind. */
const char *err_kind_name(err_kind_t k);
/* Returns the kind for a name, or -1. */
int err_kind_from_name(const char *name);

#define RES_MAX_SAMPLES 3

/* Owns its sample strings. */
typedef struct res_errors {
    uint64_t count;
    char *samples[RES_MAX_SAMPLES];
    unsigned nsamples;
} res_errors_t;

/* One named step ("connect" is always steps[0]). Owns name and latency. */
typedef struct res_step {
    char *name;
    hist_t *latency; /* successful samples only, microseconds */
    uint64_t ok;
    uint64_t failed;
} res_step_t;

/* One assertion's outcome. Owns its strings. */
typedef struct res_assertion {
    char *text; /* as written in the spec */
    bool passed;
    bool has_observed;   /* false when the metric had no samples */
    double observed;     /* in the assertion's own unit (ms, %, /s, count) */
    double threshold;    /* likewise */
    char *observed_text; /* "312.4 ms", "97.50%", "no samples" */
    char *expected_text; /* "< 200 ms" */
} res_assertion_t;

/* Owns every pointer field. */
typedef struct result {
    char *spec_name;
    char *spec_path;
    char *target;
    char *wsgate_version;
    double started_at; /* seconds since the epoch */
    double ended_at;
    double duration_s; /* planned load duration */
    unsigned threads;
    unsigned users_planned; /* peak users of the load shape */
    res_step_t *steps;
    size_t nsteps;
    uint64_t msgs_sent, msgs_received;
    uint64_t bytes_sent, bytes_received;
    uint64_t peak_active; /* peak concurrent open connections */
    res_errors_t errors[ERR_KIND_COUNT];
    res_assertion_t *assertions;
    size_t nassertions;
    bool passed;      /* every assertion held */
    bool interrupted; /* stopped early by SIGINT/SIGTERM: partial */
} result_t;

/* Index of the step named name, or -1. */
int result_find_step(const result_t *r, const char *name);
uint64_t result_error_total(const result_t *r);
/* Frees everything the result owns and zeroes it. */
void result_clear(result_t *r);

#endif
