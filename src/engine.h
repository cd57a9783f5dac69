/* engine: runs a compiled plan. Worker threads, each with its own
 * lws_context (Debian's libwebsockets serves one thread per context), own
 * the virtual users dealt to them (user k -> worker k % threads), pace them
 * with one timer queue and one lws timer each, and keep their own metrics,
 * merged into a result_t after all workers stop. */
#ifndef WSGATE_ENGINE_H
#define WSGATE_ENGINE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "result.h"
#include "spec.h"

typedef struct engine_opts {
    unsigned threads;                       /* --threads; 0 = one per core */
    uint64_t seed;                          /* --seed; 0 = from the clock */
    const volatile sig_atomic_t *stop_flag; /* non-zero: end the run now */
} engine_opts_t;

/* Runs spec to completion and fills r: steps (named after
 * spec->metric_names), counters, errors, timing. Assertions are left to the
 * caller. Returns 0, or -1 with a reason in err when the run could not
 * start (the caller then exits 3). r is the caller's; clear it with
 * result_clear(). */
int engine_run(const spec_t *spec, const engine_opts_t *opts, result_t *r, char *err,
               size_t errlen);

#endif
