/* finish: the verdict and the reports of a finished run or merge. */
#include "cli/finish.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_int.h"
#include "reporters/reporter.h"

/* r->passed: every assertion held; result_verdict() weighs it against the
 * abort and the interruption. */
static void eval_assertions(const asrt_t *as, size_t n, result_t *r)
{
    r->assertions = calloc(n ? n : 1, sizeof(res_assertion_t));
    if (!r->assertions)
        return;
    r->nassertions = n;
    r->passed = true;
    for (size_t i = 0; i < n; i++) {
        asrt_eval(&as[i], r, &r->assertions[i]);
        r->passed = r->passed && r->assertions[i].passed;
    }
}

/* GitHub Actions shows $GITHUB_STEP_SUMMARY on the run's page: append the
 * Markdown summary there when the variable is set. */
static int append_step_summary(const result_t *r, char *err, size_t errlen)
{
    const char *path = getenv("GITHUB_STEP_SUMMARY");
    if (!path || !*path)
        return 0;
    FILE *f = fopen(path, "a");
    if (!f) {
        snprintf(err, errlen, "GITHUB_STEP_SUMMARY %s: %s", path, strerror(errno));
        return -1;
    }
    int rc = reporter_markdown.write(r, f, err, errlen);
    if (fclose(f) != 0 && rc == 0) {
        snprintf(err, errlen, "GITHUB_STEP_SUMMARY %s: %s", path, strerror(errno));
        rc = -1;
    }
    return rc;
}

/* The exit status says what the reports say: it follows the verdict only. */
static int exit_status(const result_t *r)
{
    switch (result_verdict(r)) {
    case RES_VERDICT_PASS:
        return EXIT_PASS;
    case RES_VERDICT_INTERRUPTED: /* a merge (no signal of its own) exits 1 */
        if (r->stop_signal == SIGINT)
            return EXIT_SIGINT;
        return r->stop_signal == SIGTERM ? EXIT_SIGTERM : EXIT_ASSERT_FAILED;
    default:
        return EXIT_ASSERT_FAILED;
    }
}

int finish_result(const asrt_t *as, size_t n, const finish_opts_t *o, result_t *r)
{
    char err[CLI_ERRLEN];
    eval_assertions(as, n, r);
    if (!r->assertions) {
        fprintf(stderr, "wsgate: out of memory while judging the result\n");
        return EXIT_CANNOT_RUN;
    }
    if (append_step_summary(r, err, sizeof(err)) < 0) {
        fprintf(stderr, "wsgate: cannot write the step summary: %s\n", err);
        return EXIT_CANNOT_RUN;
    }
    if (o->out_dir && report_write_all(r, o->out_dir, err, sizeof(err)) < 0) {
        fprintf(stderr, "wsgate: cannot write reports: %s\n", err);
        return EXIT_CANNOT_RUN;
    }
    if (!o->quiet)
        report_print_summary(r, stdout);
    return exit_status(r);
}
