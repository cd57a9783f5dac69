/* finish: what run and merge do with a finished result: evaluate the
 * assertions, append the GitHub step summary, write the reports, print the
 * summary and pick the exit status. */
#ifndef WSGATE_FINISH_H
#define WSGATE_FINISH_H

#include <stdbool.h>
#include <stddef.h>

#include "result/asrt.h"
#include "result/result.h"

/* Where a finished result goes, each field named after its flag. */
typedef struct finish_opts {
    const char *out_dir; /* --out; NULL: no report files */
    bool quiet;          /* --quiet: no summary on stdout */
} finish_opts_t;

/* Evaluates the n assertions as (borrowed) against r, storing the outcomes in
 * r->assertions (freed by result_clear) and r->passed, then writes r where o
 * says. The caller sets r->interrupted, r->stop_signal and r->aborted
 * before. Returns the exit status of the verdict (result_verdict): pass
 * EXIT_PASS; fail and aborted EXIT_ASSERT_FAILED; interrupted EXIT_SIGINT
 * or EXIT_SIGTERM by r->stop_signal, EXIT_ASSERT_FAILED without one (a
 * merge of an interrupted shard); EXIT_CANNOT_RUN (printed on stderr) when
 * a file cannot be written or memory runs out. */
int finish_result(const asrt_t *as, size_t n, const finish_opts_t *o, result_t *r);

#endif
