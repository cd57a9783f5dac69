#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "asrt.h"
#include "engine.h"
#include "reporter.h"
#include "result_load.h"
#include "serve.h"
#include "spec.h"
#include "units.h"

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
    "usage: wsgate run SPEC [--target URL] [--out DIR] [--threads N] [--serve]\n"
    "                       [--seed N] [--quiet]\n"
    "       wsgate validate SPEC...\n"
    "       wsgate report RESULT.json [--format json|junit|md] [--out DIR]\n"
    "       wsgate serve [--host ADDR] [--port N] [--ack-delay DURATION]\n"
    "       wsgate --version | --help\n"
    "\n"
    "run       executes the spec's workload and assertions; exit 0 pass,\n"
    "          1 an assertion failed, 2 invalid spec or usage, 3 could not run\n"
    "  --target URL   overrides the spec's target (also $WSGATE_TARGET)\n"
    "  --out DIR      writes result.json, junit.xml and summary.md into DIR\n"
    "  --threads N    worker threads (default: one per core)\n"
    "  --serve        starts the embedded server and targets it\n"
    "  --seed N       seed for random choices, for repeatable runs\n"
    "  --quiet        prints nothing on stdout, and no progress on stderr\n"
    "validate  checks specs and runs nothing\n"
    "report    renders reports again from a result.json: one format on stdout\n"
    "          (default md), or every file into --out DIR\n"
    "serve     runs the embedded chat server (127.0.0.1 by default)\n";

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
    const char *spec;        /* SPEC */
    const char *target;      /* --target */
    const char *out_dir;     /* --out */
    unsigned threads;        /* --threads */
    unsigned long long seed; /* --seed */
    bool serve;              /* --serve */
    bool quiet;              /* --quiet */
} run_args_t;

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
        } else if (strcmp(arg, "--target") == 0 || strcmp(arg, "--out") == 0) {
            if (!val)
                return usage_error("%s needs a value", arg);
            *(strcmp(arg, "--target") == 0 ? &a->target : &a->out_dir) = val;
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

static void eval_assertions(const spec_t *spec, result_t *r)
{
    r->assertions = calloc(spec->nassertions ? spec->nassertions : 1, sizeof(res_assertion_t));
    if (!r->assertions)
        return;
    r->nassertions = spec->nassertions;
    r->passed = true;
    for (size_t i = 0; i < spec->nassertions; i++) {
        asrt_eval(&spec->assertions[i], r, &r->assertions[i]);
        r->passed = r->passed && r->assertions[i].passed;
    }
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

static int cmd_run(int argc, char **argv)
{
    run_args_t a;
    int rc = parse_run_args(argc, argv, &a);
    if (rc)
        return rc;
    spec_t *spec = NULL;
    server_t *srv = NULL;
    rc = load_for_run(&a, &spec, &srv);
    if (rc)
        goto out;
    install_signals();
    result_t r;
    memset(&r, 0, sizeof(r));
    char err[ERRLEN];
    progress_t prog = { .tty = isatty(STDERR_FILENO) != 0 };
    engine_opts_t eo = { .threads = a.threads,
                         .seed = a.seed,
                         .stop_flag = &stop_signal,
                         .progress = a.quiet ? NULL : on_progress,
                         .progress_ctx = &prog };
    if (engine_run(spec, &eo, &r, err, sizeof(err)) < 0) {
        fprintf(stderr, "wsgate: cannot run %s: %s\n", a.spec, err);
        result_clear(&r);
        rc = EXIT_CANNOT_RUN;
        goto out;
    }
    if (prog.drawn)
        fputc('\n', stderr);
    r.interrupted = stop_signal != 0;
    eval_assertions(spec, &r);
    rc = finish_run(&a, &r);
    result_clear(&r);
out:
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
        return usage_error("unknown format \"%s\": use json, junit or md", a->format);
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

static int cmd_serve(int argc, char **argv)
{
    serve_opts_t so = { .host = "127.0.0.1", .port = 8080, .ack_delay_us = 0 };
    for (int i = 0; i < argc; i++) {
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        unsigned long long n;
        char err[ERRLEN];
        if (strcmp(argv[i], "--host") == 0 && val) {
            so.host = val;
        } else if (strcmp(argv[i], "--port") == 0) {
            if (parse_uint(val, 65535, &n) < 0)
                return usage_error("%s needs a port number from 0 to 65535", argv[i]);
            so.port = (int)n;
        } else if (strcmp(argv[i], "--ack-delay") == 0) {
            if (!val || units_parse_duration(val, &so.ack_delay_us, err, sizeof(err)) < 0)
                return usage_error("--ack-delay needs a duration such as 300ms: %s",
                                   val ? err : "missing");
        } else {
            return usage_error("unknown serve option \"%s\"", argv[i]);
        }
        i++;
    }
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
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(argc - 2, argv + 2);
    return usage_error("unknown command \"%s\"", cmd);
}
