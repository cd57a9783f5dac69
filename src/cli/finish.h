/* finish: what run and merge do with a finished result: evaluate the
 * assertions, append the GitHub step summary, write the reports, print the
 * summary and pick the exit status. */
#ifndef WSGATE_FINISH_H
#define WSGATE_FINISH_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "result/asrt.h"
#include "result/result.h"

/* Where a finished result goes, each field named after its flag. */
typedef struct finish_opts {
    const char *out_dir; /* --out; NULL: no report files */
    bool quiet;          /* --quiet: no summary on stdout */
    /* The signal that stopped the run (0: none), read at the very end;
     * NULL when the command does not catch signals. */
    const atomic_int *stop_signal;
} finish_opts_t;

/* Evaluates the n assertions as (borrowed) against r, storing the outcomes in
 * r->assertions (freed by result_clear), then writes r where o says. An
 * aborted run fails even if every assertion passes. Returns the exit status:
 * EXIT_PASS or EXIT_ASSERT_FAILED, EXIT_SIGINT or EXIT_SIGTERM after a
 * signal, EXIT_CANNOT_RUN (printed on stderr) when a file cannot be written. */
int finish_result(const asrt_t *as, size_t n, const finish_opts_t *o, result_t *r);

#endif
