/* cmd_run: `wsgate run`, which plans, runs and judges one spec's load. */
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/units.h"
#include "cli/cli_int.h"
#include "cli/finish.h"
#include "cli/guard.h"
#include "cli/override_args.h"
#include "cli/run_args.h"
#include "engine/engine.h"
#include "engine/srcaddr.h"
#include "live/promsrv.h"
#include "live/watch.h"
#include "result/asrt.h"
#include "result/result_load.h"
#include "result/runmeta.h"
#include "reporters/reporter.h"
#include "serve/serve.h"
#include "spec/shard.h"
#include "spec/spec.h"

/* The signal that asked the run to stop (0: none); the engine's worker
 * threads poll it. volatile sig_atomic_t is only safe within the thread the
 * handler interrupts; a lock-free atomic is safe in a handler (C11 7.14.1.1)
 * and across threads. */
static atomic_int stop_signal;
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "stop_signal must be lock-free to be set in a handler");

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

/* What `run` resolved from flags and environment before starting. */
typedef struct run_plan {
    shard_t shard;
    double start_at;    /* epoch s; 0 = now */
    const char *region; /* borrowed from argv or the environment */
    result_t *baseline; /* owned until moved into the result */
    srcaddrs_t src;     /* owned; n == 0: connect from any address */
    const char *live;   /* --live or $WSGATE_LIVE; NULL: none */
    bool metrics;       /* --metrics-listen or $WSGATE_METRICS_LISTEN */
    char metrics_host[256];
    int metrics_port;
    spec_overrides_t ovr;      /* owned: --users, --duration, --ramp-up, --var, or variables */
    const char *out_dir;       /* --out or $WSGATE_OUT; NULL: no files */
    const char *baseline_path; /* --baseline or $WSGATE_BASELINE; NULL: none */
} run_plan_t;

#define MAX_START_WAIT_S 3600.0

/* A flag's value, else the environment variable's (empty: unset). */
static const char *flag_or_env(const char *flag, const char *var)
{
    const char *v = flag ? flag : getenv(var);
    return v && *v ? v : NULL;
}

/* A flag's value, else the variable's; an empty variable is an error (1),
 * as an empty flag is. */
static int flag_or_set_env(const char *flag, const char *var, const char *what, const char **out)
{
    *out = flag ? flag : getenv(var);
    if (flag || !*out || **out)
        return 0;
    cli_usage_error("%s is set but empty; set it to %s or unset it", var, what);
    return 1;
}

/* --out, --baseline and the overrides, or their variables. */
static int resolve_inputs(const run_args_t *a, run_plan_t *p)
{
    if (flag_or_set_env(a->out_dir, "WSGATE_OUT", "a folder", &p->out_dir) ||
        flag_or_set_env(a->baseline, "WSGATE_BASELINE", "a result.json", &p->baseline_path))
        return EXIT_USAGE;
    return override_resolve(&a->ovr, &p->ovr);
}

/* The live watchers: --live and --metrics-listen, or their variables. */
static int resolve_watch(const run_args_t *a, run_plan_t *p)
{
    char err[CLI_ERRLEN];
    p->live = flag_or_env(a->live, "WSGATE_LIVE");
    const char *listen = flag_or_env(a->metrics_listen, "WSGATE_METRICS_LISTEN");
    if (!listen)
        return 0;
    p->metrics = true;
    if (promsrv_parse_addr(listen, p->metrics_host, sizeof(p->metrics_host), &p->metrics_port, err,
                           sizeof(err)) < 0)
        return cli_usage_error("--metrics-listen %s", err);
    return 0;
}

/* Fills p from the flags and the environment. Returns 0, or an exit status
 * after printing the problem; the caller frees p->src and p->ovr either
 * way. */
static int resolve_plan(const run_args_t *a, run_plan_t *p)
{
    char err[CLI_ERRLEN];
    memset(p, 0, sizeof(*p));
    int found = a->shard ? shard_parse(a->shard, &p->shard, err, sizeof(err))
                         : shard_from_env(&p->shard, err, sizeof(err));
    if (found < 0)
        return cli_usage_error("%s", err);
    const char *start = a->start_at ? a->start_at : getenv("WSGATE_START_AT");
    if (start && *start) {
        if (shard_parse_time(start, &p->start_at, err, sizeof(err)) < 0)
            return cli_usage_error("%s", err);
        if (p->start_at - clock_wall_s() > MAX_START_WAIT_S)
            return cli_usage_error("start time %s is more than an hour away", start);
        if (clock_wall_s() - p->start_at > MAX_START_WAIT_S)
            return cli_usage_error("start time %s was more than an hour ago", start);
    }
    const char *target_env = getenv("WSGATE_TARGET");
    if (!a->target && target_env && !*target_env)
        return cli_usage_error("%s", "WSGATE_TARGET is set but empty; set it to a URL or unset it");
    const char *src = a->source_addrs ? a->source_addrs : getenv("WSGATE_SOURCE_ADDRS");
    if (src && *src &&
        (srcaddr_parse(src, &p->src, err, sizeof(err)) < 0 ||
         srcaddr_check(&p->src, err, sizeof(err)) < 0))
        return cli_usage_error("--source-addrs: %s", err);
    p->region = a->region ? a->region : getenv("WSGATE_REGION");
    if (p->region && !*p->region)
        p->region = NULL;
    int rc = resolve_inputs(a, p);
    return rc ? rc : resolve_watch(a, p);
}

/* Creates --out and proves it writable once the inputs are valid (a
 * refused spec writes nothing) and before the first connection (the load
 * must not run only to lose its results). Returns 0 or EXIT_USAGE. */
static int prepare_out(const char *dir)
{
    char err[CLI_ERRLEN];
    if (dir && report_prepare_dir(dir, err, sizeof(err)) < 0)
        return cli_usage_error("--out %s", err);
    return 0;
}

/* Loads --baseline and checks every relative assertion can use it. */
static int load_baseline(const char *path, const spec_t *spec, result_t **out)
{
    char err[CLI_ERRLEN];
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
        double left = start_at - clock_wall_s();
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

#define CONNECT_FLOOR "connect.success_rate > 0%"

/* True when some assertion judges the connect step. */
static bool asserts_connect(const spec_t *spec)
{
    for (size_t i = 0; i < spec->nassertions; i++)
        if (spec->assertions[i].metric && strcmp(spec->assertions[i].metric, "connect") == 0)
            return true;
    return false;
}

/* The assertions a run is judged by: the spec's, plus the floor
 * CONNECT_FLOOR when none of them judges the connect step, so a run in
 * which no connection succeeded never passes. *as is a malloc'd array whose
 * entries borrow the spec's; only the floor (the last entry, when *floor)
 * is owned. Returns 0, or -1 when out of memory. */
static int judged_assertions(const spec_t *spec, asrt_t **as, size_t *n, bool *floor)
{
    char err[CLI_ERRLEN];
    *floor = !asserts_connect(spec);
    *n = spec->nassertions + (*floor ? 1 : 0);
    if (!(*as = calloc(*n ? *n : 1, sizeof(asrt_t))))
        return -1;
    if (spec->nassertions)
        memcpy(*as, spec->assertions, spec->nassertions * sizeof(asrt_t));
    if (*floor && asrt_parse(CONNECT_FLOOR, &(*as)[*n - 1], err, sizeof(err)) < 0) {
        free(*as);
        *as = NULL;
        return -1;
    }
    return 0;
}

static void judged_free(asrt_t *as, size_t n, bool floor)
{
    if (as && floor)
        asrt_clear(&as[n - 1]);
    free(as);
}

static int finish_run(const run_args_t *a, const run_plan_t *p, const spec_t *spec, result_t *r)
{
    asrt_t *as;
    size_t n;
    bool floor;
    if (judged_assertions(spec, &as, &n, &floor) < 0)
        return EXIT_CANNOT_RUN;
    if (floor && spec->nassertions == 0 && !a->quiet)
        fprintf(stderr,
                "wsgate: warning: %s has no assertions; judging by %s alone (add your "
                "service levels under assertions:)\n",
                spec->path, CONNECT_FLOOR);
    /* with --live -, stdout is the NDJSON stream: the summary goes to stderr */
    bool live_stdout = p->live && strcmp(p->live, "-") == 0;
    finish_opts_t fo = { .out_dir = p->out_dir, .quiet = a->quiet || live_stdout };
    int rc = finish_result(as, n, &fo, r);
    if (live_stdout && !a->quiet && rc != EXIT_CANNOT_RUN)
        report_print_summary(r, stderr);
    judged_free(as, n, floor);
    return rc;
}

/* Run metadata from the plan, moving the baseline into the result. */
static int annotate(const run_args_t *a, run_plan_t *p, double late_s, result_t *r)
{
    char err[CLI_ERRLEN];
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
    r->baseline_path = p->baseline_path ? strdup(p->baseline_path) : NULL;
    p->baseline = NULL;
    int oom;
    r->overrides = override_record(&p->ovr, &oom);
    return oom ? EXIT_CANNOT_RUN : 0;
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
static int load_for_run(const run_args_t *a, const run_plan_t *p, const cli_guard_t *g,
                        spec_t **spec, server_t **srv)
{
    char err[CLI_ERRLEN], url[64];
    spec_opts_t so = { .target_override = a->target, .guard = &g->spec, .overrides = &p->ovr };
    if (!a->serve) {
        *spec = spec_load(a->spec, &so, err, sizeof(err));
        if (!*spec) {
            cli_guard_scrub(g, err);
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
        cli_guard_scrub(g, err);
        fprintf(stderr, "%s\n", err);
        return EXIT_USAGE;
    }
    return 0;
}

#define PROGRESS_PIPE_EVERY 10 /* snapshots (about 1 s each) per line when not a terminal */

/* State of the live progress line on stderr. */
typedef struct progress {
    bool quiet;        /* --quiet: no progress line, warnings only */
    bool tty;          /* stderr is a terminal: redraw one line in place */
    bool drawn;        /* something is on the in-place line */
    bool observe_told; /* the first failed scrape has been printed */
    const cli_guard_t *guard;
    double last_s; /* elapsed time of the previous snapshot */
    uint64_t last_msgs;
    unsigned snapshots;
} progress_t;

/* The first failed observe: scrape, once, as it happens (a wrong CA or
 * URL shows at the start of a long soak, not at its end). */
static void tell_observe_error(progress_t *st, const char *text)
{
    char line[600];
    snprintf(line, sizeof(line), "%s", text);
    cli_guard_scrub(st->guard, line);
    for (char *c = line; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    fprintf(stderr,
            "%swsgate: warning: %s; counted in errors.observe (later failed scrapes are "
            "counted, not printed)\n",
            st->drawn ? "\r\033[K" : "", line);
    st->observe_told = true;
    st->drawn = false;
}

static void on_progress(const engine_progress_t *p, void *ctx)
{
    progress_t *st = ctx;
    if (p->observe_error && !st->observe_told)
        tell_observe_error(st, p->observe_error);
    if (st->quiet)
        return;
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

#define METRICS_LINGER_US 2000000ull /* /metrics keeps the final numbers after the load */

/* Opens --live and --metrics-listen, if the plan has them (*w NULL when
 * not) and says where the metrics are. Returns 0 or EXIT_USAGE. */
static int open_watch(const run_args_t *a, const run_plan_t *p, const spec_t *spec, watch_t **w)
{
    char err[CLI_ERRLEN];
    *w = NULL;
    if (!p->live && !p->metrics)
        return 0;
    watch_opts_t o = { .live = p->live,
                       .metrics_host = p->metrics ? p->metrics_host : NULL,
                       .metrics_port = p->metrics_port,
                       .run = { .spec = spec->name,
                                .version = WSGATE_VERSION,
                                .shard_index = p->shard.index,
                                .shard_total = p->shard.total,
                                .region = p->region,
                                .duration_s = (double)spec->duration_us / 1e6 } };
    if (!(*w = watch_open(&o, err, sizeof(err))))
        return cli_usage_error("%s", err);
    if (!p->metrics)
        return 0;
    bool v6 = strchr(p->metrics_host, ':') != NULL;
    if (!promsrv_is_loopback(p->metrics_host))
        fprintf(stderr, "wsgate: warning: --metrics-listen %s: other hosts can read the metrics\n",
                p->metrics_host);
    if (!a->quiet || p->metrics_port == 0) /* a picked port must be told */
        fprintf(stderr, "wsgate: metrics on http://%s%s%s:%d/metrics\n", v6 ? "[" : "",
                p->metrics_host, v6 ? "]" : "", watch_metrics_port(*w));
    return 0;
}

/* Writes the live end line (r NULL: the run failed), keeps /metrics up
 * until METRICS_LINGER_US after load_end (monotonic us; a signal cuts it
 * short) so the last scrape sees the final numbers, reports lost live
 * lines once, and closes the watchers. */
static void close_watch(watch_t *w, const result_t *r, int rc, uint64_t load_end)
{
    if (!w)
        return;
    watch_end(w, r, rc);
    while (watch_metrics_port(w) && load_end && !stop_signal &&
           clock_mono_us() < load_end + METRICS_LINGER_US)
        usleep(50000);
    const char *why;
    uint64_t lost = watch_lost_lines(w, &why);
    if (lost)
        fprintf(stderr, "wsgate: --live: %" PRIu64 " line%s not written (first: %s)\n", lost,
                lost == 1 ? "" : "s", why);
    watch_close(w);
}

/* Runs the engine and fills r (in_process_server: the embedded server runs
 * in this process); returns 0 or an exit status. */
static int execute(const run_args_t *a, const run_plan_t *p, const cli_guard_t *g,
                   const spec_t *spec, watch_t *w, bool in_process_server, result_t *r)
{
    char err[CLI_ERRLEN];
    progress_t prog = { .quiet = a->quiet, .tty = isatty(STDERR_FILENO) != 0, .guard = g };
    abort_ctx_t ac = { spec, p->baseline };
    engine_opts_t eo = { .threads = a->threads,
                         .seed = a->seed,
                         .stop_flag = &stop_signal,
                         .progress = on_progress,
                         .progress_ctx = &prog,
                         .shard_index = p->shard.index,
                         .shard_total = p->shard.total,
                         .source_addrs = &p->src,
                         .abort_check = any_abort_on_fail(spec) ? abort_check : NULL,
                         .abort_ctx = &ac,
                         .live = w ? watch_on_live : NULL,
                         .live_ctx = w,
                         .in_process_server = in_process_server };
    if (engine_run(spec, &eo, r, err, sizeof(err)) < 0) {
        cli_guard_scrub(g, err);
        fprintf(stderr, "wsgate: cannot run %s: %s\n", a->spec, err);
        return EXIT_CANNOT_RUN;
    }
    const res_errors_t *oe = &r->errors[ERR_OBSERVE];
    if (!prog.observe_told && oe->nsamples > 0) /* it failed after the last progress call */
        tell_observe_error(&prog, oe->samples[0]);
    if (prog.drawn)
        fputc('\n', stderr);
    if (r->aborted && !a->quiet)
        fprintf(stderr, "wsgate: aborted: %s\n", r->abort_reason);
    return 0;
}

static int run_command(int argc, char **argv)
{
    run_args_t a;
    run_plan_t plan = { 0 };
    cli_guard_t guard = { 0 };
    int rc = run_args_parse(argc, argv, &a);
    if (rc || (rc = resolve_plan(&a, &plan)) || (rc = cli_guard_init(&guard, &a.guard))) {
        srcaddr_free(&plan.src);
        override_free(&plan.ovr);
        cli_guard_free(&guard);
        return rc;
    }
    spec_t *spec = NULL;
    server_t *srv = NULL;
    watch_t *watch = NULL;
    uint64_t load_end = 0;
    bool judged = false;
    result_t r;
    memset(&r, 0, sizeof(r));
    if ((rc = load_for_run(&a, &plan, &guard, &spec, &srv)) ||
        (rc = load_baseline(plan.baseline_path, spec, &plan.baseline)))
        goto out;
    if ((rc = prepare_out(plan.out_dir)))
        goto out;
    install_signals();
    if ((rc = open_watch(&a, &plan, spec, &watch)))
        goto out;
    if (spec->tls.insecure)
        fprintf(stderr, "wsgate: warning: tls.insecure_skip_verify is true: server certificates "
                        "are not checked\n");
    double late = wait_for_start(plan.start_at);
    if (late > 1.0)
        fprintf(stderr, "wsgate: started %.1f s after --start-at\n", late);
    rc = execute(&a, &plan, &guard, spec, watch, srv != NULL, &r);
    load_end = clock_mono_us();
    if (rc || (rc = annotate(&a, &plan, late, &r)))
        goto out;
    /* before any report or summary shows it */
    cli_guard_scrub_result(&guard, &r);
    r.stop_signal = stop_signal; /* the verdict's: a later signal does not change it */
    r.interrupted = r.stop_signal != 0;
    r.planned_s = (double)spec->duration_us / 1e6;
    r.tls_insecure = spec->tls.insecure;
    rc = finish_run(&a, &plan, spec, &r);
    judged = true;
out:
    close_watch(watch, judged ? &r : NULL, rc, load_end);
    result_clear(&r);
    srcaddr_free(&plan.src);
    override_free(&plan.ovr);
    if (plan.baseline) {
        result_clear(plan.baseline);
        free(plan.baseline);
    }
    if (srv)
        serve_stop(srv);
    spec_free(spec);
    cli_guard_free(&guard); /* after the plan that borrows its rules */
    return rc;
}

const cli_cmd_t cmd_run = {
    .name = "run",
    .exec = run_command,
    .synopsis = "wsgate run SPEC [--target URL] [--out DIR] [--baseline FILE] [--shard K/N]\n"
                "                       [--region NAME] [--start-at TIME] [--source-addrs LIST]\n"
                "                       [--users N] [--duration D] [--ramp-up D]\n"
                "                       [--max-connecting N] [--var NAME=VALUE]...\n"
                "                       [--threads N] [--serve]\n"
                "                       [--live FILE]\n"
                "                       [--metrics-listen ADDR:PORT]\n"
                "                       [--allow-hosts LIST] [--block-hosts LIST]\n"
                "                       [--allow-env LIST] [--max-users N]\n"
                "                       [--max-duration D] [--max-rate R/s]\n"
                "                       [--seed N] [--quiet]\n",
    .help =
        "run       executes the spec's workload and assertions; exit 0 pass,\n"
        "          1 an assertion failed (or aborted the run), 2 invalid spec or\n"
        "          usage, 3 could not run, 130/143 interrupted by SIGINT/SIGTERM\n"
        "  --target URL     overrides the spec's target (also $WSGATE_TARGET)\n"
        "  --out DIR        writes result.json, junit.xml, summary.md, report.html,\n"
        "                   results.csv (also $WSGATE_OUT)\n"
        "  --baseline FILE  a previous result.json: deltas in the reports, and\n"
        "                   assertions such as p95(x) < baseline * 1.10 (also\n"
        "                   $WSGATE_BASELINE)\n"
        "  --shard K/N      runs the K-th of N slices of the load (also $WSGATE_SHARD,\n"
        "                   $CI_NODE_INDEX/$CI_NODE_TOTAL, $JOB_COMPLETION_INDEX with\n"
        "                   $WSGATE_SHARD_TOTAL)\n"
        "  --region NAME    a label carried into the result (also $WSGATE_REGION)\n"
        "  --start-at TIME  waits until TIME (RFC 3339 UTC or unix seconds, at most an\n"
        "                   hour away) so shards start together (also $WSGATE_START_AT)\n"
        "  --source-addrs A connects user k from the k-th local address of a list or\n"
        "                   range such as 127.0.0.1-127.0.0.8 (also $WSGATE_SOURCE_ADDRS),\n"
        "                   past the ~28,000 connections one address reaches\n" OVERRIDE_HELP
        "  --threads N      worker threads (default: one per core)\n"
        "  --serve          starts the embedded server and targets it\n"
        "  --live FILE      writes one JSON line per second of the load to FILE (- for\n"
        "                   stdout, the summary then on stderr) and an end line with\n"
        "                   the verdict (also $WSGATE_LIVE)\n"
        "  --metrics-listen ADDR:PORT  serves Prometheus metrics at /metrics while the\n"
        "                   run lasts and 2 s after (also $WSGATE_METRICS_LISTEN); a\n"
        "                   bare PORT listens on 127.0.0.1, port 0 picks a free one\n" GUARD_HELP
        "  --seed N         seed for random choices, for repeatable runs\n"
        "  --quiet          prints nothing on stdout, and no progress on stderr\n",
};
