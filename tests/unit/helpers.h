/* Helpers shared by the unit tests (tests/unit/<folder>/test_*.c), like
 * libuv's test/task.h: assertions cmocka lacks, hand-built results with
 * real histograms, strings, files and clocks. Header-only; every helper
 * fails the running test instead of returning an error, unless its
 * comment says otherwise. */
#ifndef WSGATE_TEST_HELPERS_H
#define WSGATE_TEST_HELPERS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "reporters/reporter.h"
#include "result/hist.h"
#include "result/result.h"

/* ---- assertions ----------------------------------------------------------- */

static inline void helper_contains(const char *hay, const char *needle, bool want, const char *file,
                                   int line)
{
    if (hay && needle && (strstr(hay, needle) != NULL) == want)
        return;
    print_error("%s \"%s\" in:\n%.2000s\n", want ? "expected to find" : "expected no",
                needle ? needle : "(null)", hay ? hay : "(null)");
    _fail(file, line);
}

/* Fails the test (at the caller's line) unless needle occurs in hay. */
#define assert_contains(hay, needle) helper_contains((hay), (needle), true, __FILE__, __LINE__)
/* Fails the test (at the caller's line) if needle occurs in hay. */
#define assert_not_contains(hay, needle) helper_contains((hay), (needle), false, __FILE__, __LINE__)

/* ---- strings and clocks ----------------------------------------------------- */

/* strdup that fails the test when out of memory; the caller frees. */
/* The wsgate binary a test runs: argv[1], else $WSGATE_BIN, else ../wsgate
 * next to the test's own directory (the CMake build layout). */
static inline const char *wsgate_bin(int argc, char **argv)
{
    static char path[PATH_MAX];
    char self[PATH_MAX];
    if (argc > 1)
        return argv[1];
    if (getenv("WSGATE_BIN"))
        return getenv("WSGATE_BIN");
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return "wsgate";
    self[n] = '\0';
    int w = snprintf(path, sizeof path, "%s/../wsgate", dirname(self));
    return w > 0 && (size_t)w < sizeof path ? path : "wsgate";
}

static inline char *xstrdup(const char *s)
{
    char *p = strdup(s);
    assert_non_null(p);
    return p;
}

static inline uint64_t clock_us(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Monotonic microseconds (intervals). */
static inline uint64_t mono_us(void)
{
    return clock_us(CLOCK_MONOTONIC);
}

/* Wall-clock microseconds since the epoch (timestamps in messages). */
static inline uint64_t wall_us(void)
{
    return clock_us(CLOCK_REALTIME);
}

/* ---- files ------------------------------------------------------------------- */

/* The whole file as a NUL-terminated string the caller frees; NULL when it
 * cannot be read (does not fail the test). */
static inline char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0;
    ssize_t n = getdelim(&buf, &cap, '\0', f);
    bool failed = ferror(f);
    fclose(f);
    if (n < 0) { /* empty file, or a read error */
        free(buf);
        return failed ? NULL : xstrdup("");
    }
    return buf;
}

/* Like read_file, but an unreadable file fails the test. */
static inline char *read_whole(const char *path)
{
    char *s = read_file(path);
    if (!s)
        fail_msg("cannot read %s", path);
    return s;
}

/* Creates (or truncates) path holding text. */
static inline void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        fail_msg("cannot create %s", path);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
}

/* A fresh directory /tmp/wsgate-test-TAG-XXXXXX, its path in buf. */
static inline void make_tmpdir(char *buf, size_t n, const char *tag)
{
    int w = snprintf(buf, n, "/tmp/wsgate-test-%s-XXXXXX", tag);
    assert_true(w > 0 && (size_t)w < n);
    if (!mkdtemp(buf))
        fail_msg("mkdtemp %s failed", buf);
}

/* Removes path and, if it is a directory, everything under it (symbolic
 * links are removed, not followed). Errors are ignored. */
static inline void rm_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    DIR *d = S_ISDIR(st.st_mode) ? opendir(path) : NULL;
    for (struct dirent *e; d && (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char child[4096];
        int w = snprintf(child, sizeof child, "%s/%s", path, e->d_name);
        if (w > 0 && (size_t)w < sizeof child)
            rm_tree(child);
    }
    if (d)
        closedir(d);
    remove(path);
}

/* ---- a scratch spec file ---------------------------------------------------- */

/* For test groups that write a spec, load it and look at what came back:
 * scratch_setup and scratch_teardown are the group's cmocka setup and
 * teardown; between them scratch_spec names spec.yaml in a fresh directory. */
__attribute__((unused)) static char scratch_dir[256];
__attribute__((unused)) static char scratch_spec[512];

static inline int scratch_setup(void **state)
{
    (void)state;
    make_tmpdir(scratch_dir, sizeof(scratch_dir), "scratch");
    snprintf(scratch_spec, sizeof(scratch_spec), "%s/spec.yaml", scratch_dir);
    return 0;
}

static inline int scratch_teardown(void **state)
{
    (void)state;
    rm_tree(scratch_dir);
    return 0;
}

/* ---- hand-built results ---------------------------------------------------- */

/* Fills r (zeroed first) with the run every report shows: spec name, its
 * path specs/chat.yaml, target, version 0.1.0, started
 * 2024-05-01T12:00:00.250Z and ended 50.5 s later (50 s planned), 2
 * threads, 200 users; and room for nsteps steps for add_step. */
static inline void init_result(result_t *r, const char *name, const char *target, size_t nsteps)
{
    memset(r, 0, sizeof *r);
    r->spec_name = xstrdup(name);
    r->spec_path = xstrdup("specs/chat.yaml");
    r->target = xstrdup(target);
    r->wsgate_version = xstrdup("0.1.0");
    r->started_at = 1714564800.25;
    r->ended_at = 1714564850.75;
    r->duration_s = 50;
    r->threads = 2;
    r->users_planned = 200;
    r->nsteps = nsteps;
    if (nsteps) {
        r->steps = calloc(nsteps, sizeof *r->steps);
        assert_non_null(r->steps);
    }
}

/* init_result on the heap; free it with free_result. */
static inline result_t *make_result(const char *name, const char *target, size_t nsteps)
{
    result_t *r = malloc(sizeof *r);
    assert_non_null(r);
    init_result(r, name, target, nsteps);
    return r;
}

/* result_clear and free (a result from make_result or calloc). */
static inline void free_result(result_t *r)
{
    result_clear(r);
    free(r);
}

/* Fills r->steps[i] (allocated, zeroed) with name, an empty histogram and
 * the counts. */
static inline void add_step(result_t *r, size_t i, const char *name, uint64_t ok, uint64_t failed)
{
    assert_true(i < r->nsteps);
    r->steps[i].name = xstrdup(name);
    r->steps[i].latency = hist_new();
    assert_non_null(r->steps[i].latency);
    r->steps[i].ok = ok;
    r->steps[i].failed = failed;
}

/* Records n values first, first + stride, first + 2 * stride, ... into h. */
static inline void record_linear(hist_t *h, uint64_t first, uint64_t stride, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        hist_record(h, first + i * stride);
}

/* Appends a copy of s to e's samples (room for it is the caller's care). */
static inline void add_sample(res_errors_t *e, const char *s)
{
    assert_true(e->nsamples < RES_MAX_SAMPLES);
    e->samples[e->nsamples++] = xstrdup(s);
}

/* Fills one evaluated assertion with copies of the strings. */
static inline void set_assertion(res_assertion_t *a, const char *text, bool passed,
                                 bool has_observed, double observed, double threshold,
                                 const char *otext, const char *etext)
{
    a->text = xstrdup(text);
    a->passed = passed;
    a->has_observed = has_observed;
    a->observed = observed;
    a->threshold = threshold;
    a->observed_text = xstrdup(otext);
    a->expected_text = xstrdup(etext);
}

/* Renders r with rep into a NUL-terminated string the caller frees; its
 * length in *len_out (may be NULL). A reporter error fails the test.
 * (noinline: gcc -O3 otherwise mistakes the memstream's buffer for a
 * dangling local.) */
__attribute__((noinline, unused)) static char *render_report(const reporter_t *rep,
                                                             const result_t *r, size_t *len_out)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    char err[256] = "";
    int rc = rep->write(r, f, err, sizeof err);
    assert_int_equal(fclose(f), 0);
    if (rc != 0)
        fail_msg("%s reporter failed: %s", rep->name, err);
    if (len_out)
        *len_out = len;
    return buf;
}

/* Sets r->generator (replacing any): 2 cores, lag limit limit_ms, one
 * second per entry of p99_ms with that lag p99, a max 10% above it, CPU
 * 50% and RSS 20 MiB; summarised by the rule (gen_summarize). */
static inline void set_generator(result_t *r, const double *p99_ms, size_t n, double limit_ms)
{
    gen_free(r->generator);
    res_gen_t *g = r->generator = calloc(1, sizeof *g);
    assert_non_null(g);
    g->cores = 2;
    g->lag_limit_ms = limit_ms;
    g->secs = calloc(n ? n : 1, sizeof *g->secs);
    assert_non_null(g->secs);
    g->nsecs = n;
    for (size_t t = 0; t < n; t++) {
        g->secs[t].loop_lag_p99_ms = p99_ms[t];
        g->secs[t].loop_lag_max_ms = p99_ms[t] * 1.1;
        g->secs[t].cpu_pct = 50;
        g->secs[t].rss_mb = 20;
        if (p99_ms[t] > g->loop_lag_p99_ms)
            g->loop_lag_p99_ms = p99_ms[t];
    }
    assert_int_equal(gen_summarize(g), 0);
}

#endif
