/* Tests for the reporters over a series kept on disk (result_t.spool, as a
 * run hands its series over): every report is the same, byte for byte, as
 * from the series in memory, and writing a very long series' reports takes
 * memory that does not grow with its length. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "reporters/reporter.h"
#include "result/hist.h"
#include "result/result.h"
#include "result/spool.h"
#include "helpers.h"

#define NSTEPS 3

/* Under ASan the RSS holds its quarantine and shadow memory, not the
 * program's: the memory bound is not checked there. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static char *encode_n(uint64_t us, uint64_t n)
{
    hist_t *h = hist_new();
    assert_non_null(h);
    hist_record_n(h, us, n);
    char *text = hist_encode(h);
    hist_free(h);
    assert_non_null(text);
    return text;
}

/* Second t: counters from t, errors of two kinds in some seconds, the
 * publish step's latency in every `every`-th second (none in the others),
 * a third step's in every 3 x `every`-th. */
static void make_second(res_second_t *s, size_t t, size_t every)
{
    memset(s, 0, sizeof(*s));
    s->active = 100 + t % 7;
    s->sent = 3 * t;
    s->received = 2 * t + 1;
    s->errors_by_kind[ERR_TIMEOUT] = t % 5 == 2;
    s->errors_by_kind[ERR_CLOSE_4500] = t % 11 == 3 ? 2 : 0;
    s->errors = s->errors_by_kind[ERR_TIMEOUT] + s->errors_by_kind[ERR_CLOSE_4500];
    s->step_hist = calloc(NSTEPS, sizeof(char *));
    assert_non_null(s->step_hist);
    if (t % every == 0)
        s->step_hist[1] = encode_n(1000 + 37 * (t % 50), 1 + t % 4);
    if (t % (3 * every) == 1)
        s->step_hist[2] = encode_n(250000 + t, 2);
}

/* A finished run of three steps with nseconds seconds in memory. */
static result_t *long_result(size_t nseconds, size_t every)
{
    result_t *r = make_result("long", "ws://127.0.0.1:1", NSTEPS);
    add_step(r, 0, "connect", 10, 0);
    hist_record_n(r->steps[0].latency, 900, 10);
    add_step(r, 1, "publish", 1000, 1);
    record_linear(r->steps[1].latency, 1000, 37, 50);
    add_step(r, 2, "slow one", 20, 0);
    hist_record_n(r->steps[2].latency, 250000, 20);
    r->errors[ERR_TIMEOUT].count = 4;
    r->errors[ERR_CLOSE_4500].count = 2;
    r->duration_s = (double)nseconds;
    r->nseconds = nseconds;
    r->series = calloc(nseconds, sizeof(res_second_t));
    assert_non_null(r->series);
    for (size_t t = 0; t < nseconds; t++)
        make_second(&r->series[t], t, every);
    double *p99 = calloc(nseconds + 1, sizeof(double));
    assert_non_null(p99);
    for (size_t t = 0; t < nseconds; t++)
        p99[t] = 0.5 + (double)(t % 9) * 1.25;
    set_generator(r, p99, nseconds, 50);
    free(p99);
    return r;
}

/* Moves r's series into a spool, as series_result leaves a run's. */
static void spool_series(result_t *r)
{
    char err[256] = "";
    res_spool_t *sp = spool_new(r->nsteps, err, sizeof(err));
    if (!sp)
        fail_msg("spool_new: %s", err);
    for (size_t t = 0; t < r->nseconds; t++) {
        assert_int_equal(spool_append(sp, &r->series[t]), 0);
        for (size_t i = 0; i < r->nsteps; i++)
            free(r->series[t].step_hist[i]);
        free(r->series[t].step_hist);
    }
    free(r->series);
    r->series = NULL;
    r->spool = sp;
}

/* Every report of a series on disk is the one of the same series in
 * memory; result.json is what cJSON prints for the whole document. */
static void test_spooled_renders_the_same(void **state)
{
    result_t *r = long_result(40, 3);
    char *mem[16] = { 0 };
    for (size_t i = 0; reporters_all[i]; i++)
        mem[i] = render_report(reporters_all[i], r, NULL);
    spool_series(r);
    for (size_t i = 0; reporters_all[i]; i++) {
        char *disk = render_report(reporters_all[i], r, NULL);
        assert_string_equal(disk, mem[i]);
        free(disk);
    }
    /* twice: the spool is read again from its start */
    char *again = render_report(&reporter_json, r, NULL);
    cJSON *root = cJSON_Parse(again);
    assert_non_null(root);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(root, "series")), 40);
    const cJSON *gen = cJSON_GetObjectItem(root, "generator");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(gen, "series")), 40);
    char *whole = cJSON_Print(root);
    assert_non_null(whole);
    size_t n = strlen(whole);
    assert_int_equal(strlen(again), n + 1);
    assert_memory_equal(again, whole, n);
    cJSON_free(whole);
    cJSON_Delete(root);
    free(again);
    for (size_t i = 0; mem[i]; i++)
        free(mem[i]);
    free_result(r);
}

/* An empty series is "series": [] on disk as in memory. */
static void test_spooled_empty(void **state)
{
    result_t *r = long_result(0, 1);
    char *mem = render_report(&reporter_json, r, NULL);
    assert_contains(mem, "\n\t\"series\":\t[],\n");
    assert_contains(mem, "\n\t\t\"series\":\t[]");
    spool_series(r);
    char *disk = render_report(&reporter_json, r, NULL);
    assert_string_equal(disk, mem);
    free(disk);
    free(mem);
    free_result(r);
}

/* A field of /proc/self/status in kB, -1 when missing. */
static long status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    size_t n = strlen(key);
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, key, n) == 0 && line[n] == ':')
            kb = strtol(line + n + 1, NULL, 10);
    if (f)
        fclose(f);
    return kb;
}

/* Resets the peak RSS (VmHWM) to the current RSS (Linux's clear_refs 5). */
static void reset_peak(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f);
        fclose(f);
    }
}

#define LONG_SECONDS 100000 /* 27.8 hours */
#define PEAK_BOUND_KB 8192

/* The end of a 100,000-second run: result.json, results.csv, report.html,
 * summary.md and junit.xml written from its spool grow the peak RSS by less
 * than 8 MB (held in memory, the series alone would take over 20 MB and
 * result.json's tree of it several hundred). */
static void test_long_series_memory_is_flat(void **state)
{
#ifdef UNDER_ASAN
    skip();
#endif
    char err[512] = "", tmp[64], dir[128], path[160];
    res_second_t sec;
    res_spool_t *sp = spool_new(NSTEPS, err, sizeof(err));
    if (!sp)
        fail_msg("spool_new: %s", err);
    for (size_t t = 0; t < LONG_SECONDS; t++) {
        make_second(&sec, t, 100);
        assert_int_equal(spool_append(sp, &sec), 0);
        for (size_t i = 0; i < NSTEPS; i++)
            free(sec.step_hist[i]);
        free(sec.step_hist);
    }
    result_t *r = long_result(0, 1);
    free(r->series);
    r->series = NULL;
    r->spool = sp;
    r->nseconds = LONG_SECONDS;
    r->duration_s = LONG_SECONDS;
    double *p99 = calloc(LONG_SECONDS, sizeof(double));
    assert_non_null(p99);
    for (size_t t = 0; t < LONG_SECONDS; t++)
        p99[t] = 0.5 + (double)(t % 9) * 1.25;
    set_generator(r, p99, LONG_SECONDS, 50); /* its 40 bytes a second are held already */
    free(p99);
    make_tmpdir(tmp, sizeof tmp, "longseries");
    snprintf(dir, sizeof dir, "%s/out", tmp);

    reset_peak();
    long before = status_kb("VmRSS");
    assert_int_equal(report_write_all(r, dir, err, sizeof err), 0);
    long peak = status_kb("VmHWM");
    assert_true(before > 0 && peak > 0);
    print_message("peak RSS %ld kB -> %ld kB over the reports of %d seconds\n", before, peak,
                  LONG_SECONDS);
    assert_true(peak - before < PEAK_BOUND_KB);

    /* and every second is in result.json (its own and the generator's,
     * three and four tabs deep) and in results.csv */
    snprintf(path, sizeof path, "%s/result.json", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[512];
    size_t secs = 0, gens = 0, last = 0;
    while (fgets(line, sizeof line, f)) {
        secs += strncmp(line, "\t\t\t\"t\":\t", 6) == 0;
        gens += strncmp(line, "\t\t\t\t\"t\":\t", 7) == 0;
        last += strstr(line, "\"t\":\t99999,") != NULL;
    }
    fclose(f);
    assert_int_equal(secs, LONG_SECONDS);
    assert_int_equal(gens, LONG_SECONDS);
    assert_int_equal(last, 2);
    snprintf(path, sizeof path, "%s/results.csv", dir);
    f = fopen(path, "r");
    assert_non_null(f);
    size_t lines = 0;
    for (int c; (c = fgetc(f)) != EOF;)
        lines += c == '\n';
    fclose(f);
    assert_int_equal(lines, 1 + (size_t)LONG_SECONDS * NSTEPS);
    rm_tree(tmp);
    free_result(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_long_series_memory_is_flat), /* first: the peak is this test's */
        cmocka_unit_test(test_spooled_renders_the_same),
        cmocka_unit_test(test_spooled_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
