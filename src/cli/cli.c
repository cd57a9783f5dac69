#include "cli/cli.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <time.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "result/asrt.h"
#include "engine/engine.h"
#include "spec/load.h"
#include "result/merge.h"
#include "result/runmeta.h"
#include "spec/shard.h"
#include "engine/srcaddr.h"
#include "reporters/reporter.h"
#include "result/result_load.h"
#include "serve/serve.h"
#include "spec/spec.h"
#include "base/units.h"
#include "base/clock.h"

#define ERRLEN 512

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static const char usage_text[] =
    "usage: wsgate run SPEC [--target URL] [--out DIR] [--baseline FILE] [--shard K/N]\n"
    "                       [--region NAME] [--start-at TIME] [--source-addrs LIST]\n"
    "                       [--threads N] [--serve]\n"
    "                       [--seed N] [--quiet]\n"
    "       wsgate validate SPEC...\n"
    "       wsgate merge RESULT.json... [--out DIR] [--allow-partial] [--baseline FILE]\n"
    "                       [--quiet]\n"
    "       wsgate report RESULT.json [--format json|junit|md|html] [--out DIR]\n"
    "       wsgate serve [OPTIONS]      (wsgate serve --help lists them)\n"
    "       wsgate --version | --help\n"
    "\n"
    "run       executes the spec's workload and assertions; exit 0 pass,\n"
    "          1 an assertion failed, 2 invalid spec or usage, 3 could not run\n"
    "  --target URL     overrides the spec's target (also $WSGATE_TARGET)\n"
    "  --out DIR        writes result.json, junit.xml, summary.md, report.html\n"
    "  --baseline FILE  a previous result.json: deltas in the reports, and\n"
    "                   assertions such as p95(x) < baseline * 1.10\n"
    "  --shard K/N      runs the K-th of N slices of the load (also $WSGATE_SHARD,\n"
    "                   $CI_NODE_INDEX/$CI_NODE_TOTAL, $JOB_COMPLETION_INDEX with\n"
    "                   $WSGATE_SHARD_TOTAL)\n"
    "  --region NAME    a label carried into the result (also $WSGATE_REGION)\n"
    "  --start-at TIME  waits until TIME (RFC 3339 UTC or unix seconds, at most an\n"
    "                   hour away) so shards start together (also $WSGATE_START_AT)\n"
    "  --source-addrs A connects user k from the k-th local address of a list or\n"
    "                   range such as 127.0.0.1-127.0.0.8 (also $WSGATE_SOURCE_ADDRS),\n"
    "                   past the ~28,000 connections one address reaches\n"
    "  --threads N      worker threads (default: one per core)\n"
    "  --serve          starts the embedded server and targets it\n"
    "  --seed N         seed for random choices, for repeatable runs\n"
    "  --quiet          prints nothing on stdout, and no progress on stderr\n"
    "validate  checks specs and runs nothing\n"
    "merge     combines shard results exactly, evaluates the assertions and\n"
    "          reports like run (exit 0 or 1; 2 when the inputs do not fit)\n"
    "  --allow-partial  merges even when shards are missing (the report says which)\n"
    "report    renders reports again from a result.json: one format on stdout\n"
    "          (default md), or every file into --out DIR\n"
    "serve     runs the embedded target server (127.0.0.1 by default)\n";

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "wsgate: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "; see wsgate --help\n");
    va_end(ap);
    return EXIT_USAGE;
}

/* Options of `wsgate run`, each named after its flag. */
typedef struct run_args {
    const char *spec;         /* SPEC */
    const char *target;       /* --target */
    const char *out_dir;      /* --out */
    const char *baseline;     /* --baseline */
    const char *shard;        /* --shard */
    const char *region;       /* --region, else $WSGATE_REGION */
    const char *start_at;     /* --start-at, else $WSGATE_START_AT */
    const char *source_addrs; /* --source-addrs, else $WSGATE_SOURCE_ADDRS */
    unsigned threads;         /* --threads */
    unsigned long long seed;  /* --seed */
    bool serve;               /* --serve */
    bool quiet;               /* --quiet */
} run_args_t;

/* Flags of `run` that take a string value, and where each goes. */
static const char **string_flag(run_args_t *a, const char *arg)
{
    static const struct {
        const char *flag;
        size_t offset;
    } flags[] = {
        { "--target", offsetof(run_args_t, target) },
        { "--out", offsetof(run_args_t, out_dir) },
        { "--baseline", offsetof(run_args_t, baseline) },
        { "--shard", offsetof(run_args_t, shard) },
        { "--region", offsetof(run_args_t, region) },
        { "--start-at", offsetof(run_args_t, start_at) },
        { "--source-addrs", offsetof(run_args_t, source_addrs) },
    };
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
        if (strcmp(arg, flags[i].flag) == 0)
            return (const char **)((char *)a + flags[i].offset);
    return NULL;
}

static int parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
    char *end;
    if (!s || !*s || *s == '-')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Returns 0, or an exit status after printing the problem. */
static int parse_run_args(int argc, char **argv, run_args_t *a)
{
    memset(a, 0, sizeof(*a));
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        unsigned long long n;
        if (strcmp(arg, "--serve") == 0) {
            a->serve = true;
        } else if (strcmp(arg, "--quiet") == 0) {
            a->quiet = true;
        } else if (string_flag(a, arg)) {
            if (!val)
                return usage_error("%s needs a value", arg);
            *string_flag(a, arg) = val;
            i++;
        } else if (strcmp(arg, "--threads") == 0) {
            if (parse_uint(val, 256, &n) < 0 || n == 0)
                return usage_error("%s needs a number from 1 to 256", arg);
            a->threads = (unsigned)n;
            i++;
        } else if (strcmp(arg, "--seed") == 0) {
            if (parse_uint(val, UINT64_MAX, &a->seed) < 0)
                return usage_error("%s needs a non-negative number", arg);
            i++;
        } else if (arg[0] == '-') {
            return usage_error("unknown option \"%s\"", arg);
        } else if (!a->spec) {
            a->spec = arg;
        } else {
            return usage_error("one spec per run; unexpected \"%s\"", arg);
        }
    }
    if (!a->spec)
        return usage_error("%s", "run needs a spec file: wsgate run SPEC");
    return 0;
}

/* An aborted run fails even if its numbers recovered by the end. */
static void eval_assertions(const asrt_t *as, size_t n, result_t *r)
{
    r->assertions = calloc(n ? n : 1, sizeof(res_assertion_t));
    if (!r->assertions)
        return;
    r->nassertions = n;
    r->passed = !r->aborted;
    for (size_t i = 0; i < n; i++) {
        asrt_eval(&as[i], r, &r->assertions[i]);
        r->passed = r->passed && r->assertions[i].passed;
    }
}

/* What `run` resolved from flags and environment before starting. */
typedef struct run_plan {
    shard_t shard;
    double start_at;    /* epoch s; 0 = now */
    const char *region; /* borrowed from argv or the environment */
    result_t *baseline; /* owned until moved into the result */
    srcaddrs_t src;     /* owned; n == 0: connect from any address */
} run_plan_t;

#define MAX_START_WAIT_S 3600.0

static double wall_clock(void)
{
    return clock_wall_s();
}

static int resolve_plan(const run_args_t *a, run_plan_t *p)
{
    char err[ERRLEN];
    memset(p, 0, sizeof(*p));
    int found = a->shard ? shard_parse(a->shard, &p->shard, err, sizeof(err))
                         : shard_from_env(&p->shard, err, sizeof(err));
    if (found < 0)
        return usage_error("%s", err);
    const char *start = a->start_at ? a->start_at : getenv("WSGATE_START_AT");
    if (start && *start) {
        if (shard_parse_time(start, &p->start_at, err, sizeof(err)) < 0)
            return usage_error("%s", err);
        if (p->start_at - wall_clock() > MAX_START_WAIT_S)
            return usage_error("start time %s is more than an hour away", start);
        if (wall_clock() - p->start_at > MAX_START_WAIT_S)
            return usage_error("start time %s was more than an hour ago", start);
    }
    const char *src = a->source_addrs ? a->source_addrs : getenv("WSGATE_SOURCE_ADDRS");
    if (src && *src &&
        (srcaddr_parse(src, &p->src, err, sizeof(err)) < 0 ||
         srcaddr_check(&p->src, err, sizeof(err)) < 0))
        return usage_error("--source-addrs: %s", err);
    p->region = a->region ? a->region : getenv("WSGATE_REGION");
    if (p->region && !*p->region)
        p->region = NULL;
    return 0;
}

/* Loads --baseline and checks every relative assertion can use it. */
static int load_baseline(const char *path, const spec_t *spec, result_t **out)
{
    char err[ERRLEN];
    *out = NULL;
    if (path) {
        if (!(*out = calloc(1, sizeof(result_t))))
            return EXIT_CANNOT_RUN;
        if (result_load_file(path, *out, err, sizeof(err)) < 0) {
            free(*out);
            *out = NULL;
            fprintf(stderr, "wsgate: --baseline %s\n", err);
            return EXIT_USAGE;
        }
    }
    for (size_t i = 0; i < spec->nassertions; i++) {
        const asrt_t *as = &spec->assertions[i];
        if (asrt_check_baseline(as, *out, err, sizeof(err)) < 0) {
            fprintf(stderr, "%s:%d: assertion \"%s\": %s\n", spec->path, as->line, as->text, err);
            return EXIT_USAGE;
        }
    }
    return 0;
}

/* Sleeps until start_at (interrupted by a signal); how late we are. */
static double wait_for_start(double start_at)
{
    while (start_at > 0 && !stop_signal) {
        double left = start_at - wall_clock();
        if (left <= 0)
            return -left;
        usleep(left > 0.1 ? 100000 : (useconds_t)(left * 1e6));
    }
    return 0;
}

/* Context of the live abort check. */
typedef struct abort_ctx {
    const spec_t *spec;
    result_t *baseline; /* lent to the live result during evaluation */
} abort_ctx_t;

static bool abort_check(result_t *live, double elapsed_s, void *ctx, char *why, size_t whylen)
{
    abort_ctx_t *ac = ctx;
    bool stop = false;
    for (size_t i = 0; i < ac->spec->nassertions && !stop; i++) {
        const asrt_t *as = &ac->spec->assertions[i];
        if (!as->abort_on_fail || elapsed_s * 1e6 < (double)as->abort_grace_us)
            continue;
        res_assertion_t ra;
        live->baseline = ac->baseline;
        int rc = asrt_eval(as, live, &ra);
        live->baseline = NULL;
        if (rc < 0)
            continue;
        stop = ra.has_observed && !ra.passed;
        if (stop)
            snprintf(why, whylen, "%s: observed %s, expected %s, at %.1f s", as->text,
                     ra.observed_text, ra.expected_text, elapsed_s);
        free(ra.text);
        free(ra.observed_text);
        free(ra.expected_text);
    }
    return stop;
}

static bool any_abort_on_fail(const spec_t *spec)
{
    for (size_t i = 0; i < spec->nassertions; i++)
        if (spec->assertions[i].abort_on_fail)
            return true;
    return false;
}

/* Run metadata from the plan, moving the baseline into the result. */
static int annotate(const run_args_t *a, run_plan_t *p, double late_s, result_t *r)
{
    char err[ERRLEN];
    if (runmeta_fill(r, a->spec, err, sizeof(err)) < 0) {
        fprintf(stderr, "wsgate: %s\n", err);
        return EXIT_CANNOT_RUN;
    }
    r->shard_index = p->shard.index;
    r->shard_total = p->shard.total;
    r->region = p->region ? strdup(p->region) : NULL;
    r->start_at = p->start_at;
    r->start_late_s = late_s;
    r->baseline = p->baseline;
    r->baseline_path = a->baseline ? strdup(a->baseline) : NULL;
    p->baseline = NULL;
    return 0;
}

/* Starts the embedded server and returns the URL to target in buf. */
static server_t *start_embedded(char *buf, size_t n, char *err, size_t errlen)
{
    serve_opts_t so = { .host = "127.0.0.1", .port = 0, .ack_delay_us = 0 };
    int port = 0;
    server_t *srv = serve_start(&so, &port, err, errlen);
    if (srv)
        snprintf(buf, n, "ws://127.0.0.1:%d", port);
    return srv;
}

/* Loads the spec; with --serve or `target: embedded`, starts the embedded
 * server first and points the spec at it. */
static int load_for_run(const run_args_t *a, spec_t **spec, server_t **srv)
{
    char err[ERRLEN], url[64];
    spec_opts_t so = { .target_override = a->target };
    if (!a->serve) {
        *spec = spec_load(a->spec, &so, err, sizeof(err));
        if (!*spec) {
            fprintf(stderr, "%s\n", err);
            return EXIT_USAGE;
        }
        if (strcmp((*spec)->target, "embedded") != 0)
            return 0;
        spec_free(*spec);
        *spec = NULL;
    }
    *srv = start_embedded(url, sizeof(url), err, sizeof(err));
    if (!*srv) {
        fprintf(stderr, "wsgate: cannot start the embedded server: %s\n", err);
        return EXIT_CANNOT_RUN;
    }
    so.target_override = url;
    *spec = spec_load(a->spec, &so, err, sizeof(err));
    if (!*spec) {
        fprintf(stderr, "%s\n", err);
        return EXIT_USAGE;
    }
    return 0;
}

#define PROGRESS_PIPE_EVERY 10 /* snapshots (about 1 s each) per line when not a terminal */

/* State of the live progress line on stderr. */
typedef struct progress {
    bool tty;      /* stderr is a terminal: redraw one line in place */
    bool drawn;    /* something is on the in-place line */
    double last_s; /* elapsed time of the previous snapshot */
    uint64_t last_msgs;
    unsigned snapshots;
} progress_t;

static void on_progress(const engine_progress_t *p, void *ctx)
{
    progress_t *st = ctx;
    uint64_t msgs = p->msgs_sent + p->msgs_received;
    double dt = p->elapsed_s - st->last_s;
    double rate = dt > 0 ? (double)(msgs - st->last_msgs) / dt : 0;
    st->last_s = p->elapsed_s;
    st->last_msgs = msgs;
    if (!st->tty && ++st->snapshots % PROGRESS_PIPE_EVERY != 0)
        return;
    char p95[32] = "-";
    if (p->main_p95_us)
        units_format_us((double)p->main_p95_us, p95, sizeof(p95));
    fprintf(stderr,
            "%s%5.1fs/%.0fs  connections %" PRIu64 "  msgs/s %.0f  p95(%s) %s  errors %" PRIu64
            "%s",
            st->tty ? "\r\033[K" : "", p->elapsed_s, p->duration_s, p->active, rate, p->main_step,
            p95, p->errors, st->tty ? "" : "\n");
    st->drawn = st->tty;
    fflush(stderr);
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

static int finish_run(const run_args_t *a, result_t *r)
{
    char err[ERRLEN];
    if (append_step_summary(r, err, sizeof(err)) < 0) {
        fprintf(stderr, "wsgate: cannot write the step summary: %s\n", err);
        return EXIT_CANNOT_RUN;
    }
    if (a->out_dir && report_write_all(r, a->out_dir, err, sizeof(err)) < 0) {
        fprintf(stderr, "wsgate: cannot write reports: %s\n", err);
        return EXIT_CANNOT_RUN;
    }
    if (!a->quiet)
        report_print_summary(r, stdout);
    if (stop_signal == SIGINT)
        return EXIT_SIGINT;
    if (stop_signal == SIGTERM)
        return EXIT_SIGTERM;
    return r->passed ? EXIT_PASS : EXIT_ASSERT_FAILED;
}

/* Runs the engine and fills r; returns 0 or an exit status. */
static int execute(const run_args_t *a, const run_plan_t *p, const spec_t *spec, result_t *r)
{
    char err[ERRLEN];
    progress_t prog = { .tty = isatty(STDERR_FILENO) != 0 };
    abort_ctx_t ac = { spec, p->baseline };
    engine_opts_t eo = { .threads = a->threads,
                         .seed = a->seed,
                         .stop_flag = &stop_signal,
                         .progress = a->quiet ? NULL : on_progress,
                         .progress_ctx = &prog,
                         .shard_index = p->shard.index,
                         .shard_total = p->shard.total,
                         .source_addrs = &p->src,
                         .abort_check = any_abort_on_fail(spec) ? abort_check : NULL,
                         .abort_ctx = &ac };
    if (engine_run(spec, &eo, r, err, sizeof(err)) < 0) {
        fprintf(stderr, "wsgate: cannot run %s: %s\n", a->spec, err);
        return EXIT_CANNOT_RUN;
    }
    if (prog.drawn)
        fputc('\n', stderr);
    if (r->aborted && !a->quiet)
        fprintf(stderr, "wsgate: aborted: %s\n", r->abort_reason);
    return 0;
}

static int cmd_run(int argc, char **argv)
{
    run_args_t a;
    run_plan_t plan = { 0 };
    int rc = parse_run_args(argc, argv, &a);
    if (rc || (rc = resolve_plan(&a, &plan))) {
        srcaddr_free(&plan.src);
        return rc;
    }
    spec_t *spec = NULL;
    server_t *srv = NULL;
    result_t r;
    memset(&r, 0, sizeof(r));
    if ((rc = load_for_run(&a, &spec, &srv)) ||
        (rc = load_baseline(a.baseline, spec, &plan.baseline)))
        goto out;
    install_signals();
    if (spec->tls.insecure)
        fprintf(stderr, "wsgate: warning: tls.insecure_skip_verify is true: server certificates "
                        "are not checked\n");
    double late = wait_for_start(plan.start_at);
    if (late > 1.0)
        fprintf(stderr, "wsgate: started %.1f s after --start-at\n", late);
    if ((rc = execute(&a, &plan, spec, &r)) || (rc = annotate(&a, &plan, late, &r)))
        goto out;
    r.interrupted = stop_signal != 0;
    r.tls_insecure = spec->tls.insecure;
    eval_assertions(spec->assertions, spec->nassertions, &r);
    rc = finish_run(&a, &r);
out:
    result_clear(&r);
    srcaddr_free(&plan.src);
    if (plan.baseline) {
        result_clear(plan.baseline);
        free(plan.baseline);
    }
    if (srv)
        serve_stop(srv);
    spec_free(spec);
    return rc;
}

static int cmd_validate(int argc, char **argv)
{
    if (argc == 0)
        return usage_error("%s", "validate needs at least one spec file");
    int rc = EXIT_PASS;
    for (int i = 0; i < argc; i++) {
        char err[ERRLEN];
        spec_t *spec = spec_load(argv[i], &(spec_opts_t){ 0 }, err, sizeof(err));
        if (!spec) {
            fprintf(stderr, "%s\n", err);
            rc = EXIT_USAGE;
            continue;
        }
        if (spec->open_model)
            printf("%s: ok (%zu scenarios, %zu assertions, open model: %llu arrivals, at most "
                   "%u users at once)\n",
                   argv[i], spec->nscenarios, spec->nassertions,
                   (unsigned long long)load_arrivals_total(spec), spec->peak_users);
        else
            printf("%s: ok (%zu scenarios, %zu assertions, %u users)\n", argv[i], spec->nscenarios,
                   spec->nassertions, spec->peak_users);
        spec_free(spec);
    }
    return rc;
}

/* Options of `wsgate report`, each named after its flag. */
typedef struct report_args {
    const char *result;  /* RESULT.json */
    const char *format;  /* --format, default md */
    const char *out_dir; /* --out */
} report_args_t;

static int parse_report_args(int argc, char **argv, report_args_t *a)
{
    memset(a, 0, sizeof(*a));
    a->format = "md";
    for (int i = 0; i < argc; i++) {
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--format") == 0 || strcmp(argv[i], "--out") == 0) {
            if (!val)
                return usage_error("%s needs a value", argv[i]);
            *(argv[i][2] == 'f' ? &a->format : &a->out_dir) = val;
            i++;
        } else if (argv[i][0] == '-') {
            return usage_error("unknown report option \"%s\"", argv[i]);
        } else if (!a->result) {
            a->result = argv[i];
        } else {
            return usage_error("one result file at a time; unexpected \"%s\"", argv[i]);
        }
    }
    if (!a->result)
        return usage_error("%s", "report needs a result file: wsgate report out/result.json");
    if (!reporter_find(a->format))
        return usage_error("unknown format \"%s\": use json, junit, md or html", a->format);
    return 0;
}

static int cmd_report(int argc, char **argv)
{
    report_args_t a;
    int rc = parse_report_args(argc, argv, &a);
    if (rc)
        return rc;
    result_t r;
    char err[ERRLEN];
    if (result_load_file(a.result, &r, err, sizeof(err)) < 0) {
        fprintf(stderr, "wsgate: %s\n", err);
        return EXIT_USAGE;
    }
    rc = EXIT_PASS;
    if (a.out_dir) {
        if (report_write_all(&r, a.out_dir, err, sizeof(err)) < 0)
            rc = EXIT_CANNOT_RUN;
    } else if (reporter_find(a.format)->write(&r, stdout, err, sizeof(err)) < 0) {
        rc = EXIT_CANNOT_RUN;
    }
    if (rc)
        fprintf(stderr, "wsgate: cannot write the report: %s\n", err);
    result_clear(&r);
    return rc;
}

/* Options of `wsgate merge`, each named after its flag. */
typedef struct merge_args {
    const char **inputs; /* RESULT.json..., borrowed from argv */
    size_t ninputs;
    run_args_t out; /* out_dir, baseline and quiet, as for run */
    bool allow_partial;
} merge_args_t;

static int parse_merge_args(int argc, char **argv, merge_args_t *a)
{
    memset(a, 0, sizeof(*a));
    if (!(a->inputs = calloc((size_t)argc + 1, sizeof(char *))))
        return EXIT_CANNOT_RUN;
    for (int i = 0; i < argc; i++) {
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--allow-partial") == 0) {
            a->allow_partial = true;
        } else if (strcmp(argv[i], "--quiet") == 0) {
            a->out.quiet = true;
        } else if (strcmp(argv[i], "--out") == 0 || strcmp(argv[i], "--baseline") == 0) {
            if (!val)
                return usage_error("%s needs a value", argv[i]);
            *(argv[i][2] == 'o' ? &a->out.out_dir : &a->out.baseline) = val;
            i++;
        } else if (argv[i][0] == '-') {
            return usage_error("unknown merge option \"%s\"", argv[i]);
        } else {
            a->inputs[a->ninputs++] = argv[i];
        }
    }
    if (a->ninputs == 0)
        return usage_error("%s", "merge needs result files: wsgate merge shard-*/result.json");
    return 0;
}

/* Loads every input; returns 0 or an exit status (inputs[i] freed by the caller). */
static int load_inputs(const merge_args_t *a, result_t **in)
{
    char err[ERRLEN];
    for (size_t i = 0; i < a->ninputs; i++) {
        if (!(in[i] = calloc(1, sizeof(result_t))))
            return EXIT_CANNOT_RUN;
        if (result_load_file(a->inputs[i], in[i], err, sizeof(err)) < 0) {
            fprintf(stderr, "wsgate: %s\n", err);
            return EXIT_USAGE;
        }
    }
    return 0;
}

/* The inputs' assertions, compiled again from their text. */
static int recompile_assertions(const result_t *r, const char *name, asrt_t **out, size_t *n)
{
    char err[ERRLEN];
    *n = 0;
    if (!(*out = calloc(r->nassertions ? r->nassertions : 1, sizeof(asrt_t))))
        return EXIT_CANNOT_RUN;
    for (size_t i = 0; i < r->nassertions; i++) {
        if (asrt_parse(r->assertions[i].text, &(*out)[i], err, sizeof(err)) < 0) {
            fprintf(stderr, "wsgate: %s: assertion \"%s\": %s\n", name, r->assertions[i].text, err);
            return EXIT_USAGE;
        }
        (*n)++;
    }
    return 0;
}

static int merge_and_report(const merge_args_t *a, result_t **in, result_t *m)
{
    char err[ERRLEN];
    asrt_t *as = NULL;
    size_t nas = 0;
    int rc = 0;
    if (merge_results((const result_t *const *)in, a->inputs, a->ninputs, a->allow_partial, m, err,
                      sizeof(err)) < 0) {
        fprintf(stderr, "wsgate: cannot merge: %s\n", err);
        return EXIT_USAGE;
    }
    if ((rc = recompile_assertions(in[0], a->inputs[0], &as, &nas)))
        goto out;
    if (a->out.baseline) {
        m->baseline = calloc(1, sizeof(result_t));
        if (!m->baseline || result_load_file(a->out.baseline, m->baseline, err, sizeof(err)) < 0) {
            fprintf(stderr, "wsgate: --baseline %s\n", m->baseline ? err : "out of memory");
            rc = EXIT_USAGE;
            goto out;
        }
        m->baseline_path = strdup(a->out.baseline);
    }
    for (size_t i = 0; i < nas && rc == 0; i++)
        if (asrt_check_baseline(&as[i], m->baseline, err, sizeof(err)) < 0) {
            fprintf(stderr, "wsgate: assertion \"%s\": %s\n", as[i].text, err);
            rc = EXIT_USAGE;
        }
    if (rc == 0) {
        eval_assertions(as, nas, m);
        rc = finish_run(&a->out, m);
    }
out:
    for (size_t i = 0; i < nas; i++)
        asrt_clear(&as[i]);
    free(as);
    return rc;
}

static int cmd_merge(int argc, char **argv)
{
    merge_args_t a;
    int rc = parse_merge_args(argc, argv, &a);
    result_t **in = rc ? NULL : calloc(a.ninputs, sizeof(result_t *));
    result_t merged;
    memset(&merged, 0, sizeof(merged));
    if (!rc && !in)
        rc = EXIT_CANNOT_RUN;
    if (!rc && !(rc = load_inputs(&a, in)))
        rc = merge_and_report(&a, in, &merged);
    result_clear(&merged);
    for (size_t i = 0; in && i < a.ninputs; i++) {
        result_clear(in[i]);
        free(in[i]);
    }
    free(in);
    free(a.inputs);
    return rc;
}

static int cmd_serve(int argc, char **argv)
{
    serve_opts_t so;
    char err[ERRLEN];
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(serve_usage(), stdout);
            return EXIT_PASS;
        }
    if (serve_parse_args(argc, argv, &so, err, sizeof(err)) < 0)
        return usage_error("%s", err);
    return serve_main(&so);
}

int cli_main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("%s", "missing command");
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage_text, stdout);
        return EXIT_PASS;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("wsgate %s\n", WSGATE_VERSION);
        return EXIT_PASS;
    }
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 2, argv + 2);
    if (strcmp(cmd, "validate") == 0)
        return cmd_validate(argc - 2, argv + 2);
    if (strcmp(cmd, "report") == 0)
        return cmd_report(argc - 2, argv + 2);
    if (strcmp(cmd, "merge") == 0)
        return cmd_merge(argc - 2, argv + 2);
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(argc - 2, argv + 2);
    return usage_error("unknown command \"%s\"", cmd);
}
