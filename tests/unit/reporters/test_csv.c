/* Tests for reporters/csv.c: the per-second CSV, rendered from a
 * hand-built result with a series, then parsed back (RFC 4180) and checked
 * against the result: totals, percentiles, times and hostile step names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result/hist.h"
#include "reporters/reporter.h"
#include "result/result.h"
#include "helpers.h"

#define NSTEPS 4
#define NSECONDS 3
#define NCOLS 11
#define MAX_ROWS 32
#define CELL_MAX 128

static const char *const header[NCOLS] = {
    "second", "t",      "step", "ok",       "p50_ms", "p95_ms",
    "p99_ms", "active", "sent", "received", "errors",
};

/* ---- fixture ------------------------------------------------------------ */

/* Samples of step i in second t: none for step 3 (never run) and for
 * connect after second 0. */
static uint64_t samples(size_t t, size_t i)
{
    if (i == 3 || (i == 0 && t > 0))
        return 0;
    return 10 * (t + 1) + i;
}

/* Four steps (the last never run; two with names a spreadsheet could
 * misread), three seconds; steps[].ok equals the series' samples. */
static result_t *series_result(void)
{
    result_t *r = make_result("csv", "ws://127.0.0.1:8080", NSTEPS);
    add_step(r, 0, "connect", 0, 0);
    add_step(r, 1, "say \"hi\", then\nwait", 0, 1);
    add_step(r, 2, "=1+1", 0, 0);
    add_step(r, 3, "never run", 0, 0);
    r->nseconds = NSECONDS;
    r->series = calloc(NSECONDS, sizeof *r->series);
    assert_non_null(r->series);
    for (size_t t = 0; t < NSECONDS; t++) {
        res_second_t *s = &r->series[t];
        s->active = 5 + t;
        s->sent = 100 * (t + 1);
        s->received = 90 * (t + 1);
        s->errors = t;
        s->step_hist = calloc(NSTEPS, sizeof *s->step_hist);
        assert_non_null(s->step_hist);
        for (size_t i = 0; i < NSTEPS; i++) {
            uint64_t n = samples(t, i);
            if (!n)
                continue;
            hist_t *h = hist_new();
            assert_non_null(h);
            record_linear(h, 900 + 1000 * i, 1777, n); /* above 2048 us: bucketed */
            s->step_hist[i] = hist_encode(h);
            assert_non_null(s->step_hist[i]);
            hist_merge(r->steps[i].latency, h);
            r->steps[i].ok += n;
            hist_free(h);
        }
        r->msgs_sent += s->sent;
        r->msgs_received += s->received;
    }
    return r;
}

/* ---- an RFC 4180 reader ------------------------------------------------ */

typedef struct table {
    char cell[MAX_ROWS][NCOLS][CELL_MAX];
    size_t rows;
} table_t;

/* Parses text (CRLF rows, quoted cells with "" for a quote); fails the
 * test on anything else, including a row of another width. */
static void parse_csv(const char *p, table_t *t)
{
    memset(t, 0, sizeof *t);
    while (*p) {
        assert_true(t->rows < MAX_ROWS);
        size_t col = 0;
        for (;;) {
            char *out = t->cell[t->rows][col];
            size_t n = 0;
            if (*p == '"') {
                for (p++; !(p[0] == '"' && p[1] != '"'); p++) {
                    assert_true(*p != '\0');
                    p += p[0] == '"'; /* "" is one quote */
                    assert_true(n + 1 < CELL_MAX);
                    out[n++] = *p;
                }
                p++;
            } else {
                for (; *p && *p != ',' && *p != '\r' && *p != '\n'; p++) {
                    assert_true(n + 1 < CELL_MAX && *p != '"');
                    out[n++] = *p;
                }
            }
            if (*p != ',')
                break;
            p++;
            assert_true(++col < NCOLS);
        }
        assert_int_equal(col + 1, NCOLS);
        assert_true(p[0] == '\r' && p[1] == '\n');
        p += 2;
        t->rows++;
    }
}

static uint64_t cell_u64(const table_t *t, size_t row, size_t col)
{
    char *end;
    uint64_t v = strtoull(t->cell[row][col], &end, 10);
    assert_true(end != t->cell[row][col] && *end == '\0');
    return v;
}

/* "%.3f" of us / 1000, as the CSV must write it. */
static void ms_text(uint64_t us, char *buf, size_t n)
{
    snprintf(buf, n, "%" PRIu64 ".%03" PRIu64, us / 1000, us % 1000);
}

/* ---- tests ------------------------------------------------------------- */

static void test_totals_match_the_result(void **state)
{
    result_t *r = series_result();
    char *csv = render_report(&reporter_csv, r, NULL);
    static table_t t;
    parse_csv(csv, &t);
    assert_int_equal(t.rows, 1 + NSECONDS * NSTEPS);
    for (size_t c = 0; c < NCOLS; c++)
        assert_string_equal(t.cell[0][c], header[c]);

    uint64_t ok[NSTEPS] = { 0 }, sent = 0, received = 0;
    for (size_t row = 1; row < t.rows; row++) {
        size_t sec = (row - 1) / NSTEPS, i = (row - 1) % NSTEPS;
        assert_int_equal(cell_u64(&t, row, 0), sec);
        ok[i] += cell_u64(&t, row, 3);
        if (i == 0) { /* the second's totals, once per second */
            sent += cell_u64(&t, row, 8);
            received += cell_u64(&t, row, 9);
        }
        assert_int_equal(cell_u64(&t, row, 7), r->series[sec].active);
        assert_int_equal(cell_u64(&t, row, 10), r->series[sec].errors);
    }
    for (size_t i = 0; i < NSTEPS; i++)
        assert_int_equal(ok[i], r->steps[i].ok);
    assert_int_equal(sent, r->msgs_sent);
    assert_int_equal(received, r->msgs_received);
    free(csv);
    free_result(r);
}

/* Percentiles are the second's, in ms with every digit; no samples:
 * ok 0 and empty cells (NaN for pandas). */
static void test_percentiles_and_times(void **state)
{
    result_t *r = series_result();
    char *csv = render_report(&reporter_csv, r, NULL);
    static table_t t;
    parse_csv(csv, &t);
    static const char *const times[NSECONDS] = { "2024-05-01T12:00:00.250Z",
                                                 "2024-05-01T12:00:01.250Z",
                                                 "2024-05-01T12:00:02.250Z" };
    static const double pcts[3] = { 50, 95, 99 };
    for (size_t row = 1; row < t.rows; row++) {
        size_t sec = (row - 1) / NSTEPS, i = (row - 1) % NSTEPS;
        assert_string_equal(t.cell[row][1], times[sec]);
        hist_t *h = result_second_hist(r, sec, i);
        for (size_t k = 0; k < 3; k++) {
            char want[32] = "";
            if (h)
                ms_text(hist_percentile(h, pcts[k]), want, sizeof want);
            assert_string_equal(t.cell[row][4 + k], want);
        }
        assert_int_equal(cell_u64(&t, row, 3), samples(sec, i));
        hist_free(h);
    }
    /* one value worked out by hand: second 1 of step 1 holds 21 samples
     * 1900 + 1777k us; p50 is the 11th (19670 us), in the bucket [19664,
     * 19679] whose midpoint is 19671 */
    assert_string_equal(t.cell[1 + NSTEPS + 1][4], "19.671");
    free(csv);
    free_result(r);
}

/* Step names come back as written, one row per line: quotes doubled in a
 * quoted cell, a line break as the text \n, and a leading = behind a '. */
static void test_step_names(void **state)
{
    result_t *r = series_result();
    char *csv = render_report(&reporter_csv, r, NULL);
    assert_contains(csv, ",\"say \"\"hi\"\", then\\nwait\",");
    assert_contains(csv, ",'=1+1,");
    static table_t t;
    parse_csv(csv, &t);
    assert_string_equal(t.cell[1][2], "connect");
    assert_string_equal(t.cell[2][2], "say \"hi\", then\\nwait");
    assert_string_equal(t.cell[3][2], "'=1+1");
    assert_string_equal(t.cell[4][2], "never run");
    free(csv);
    free_result(r);
}

/* A result without a series (older files) and one with an unknown start:
 * the header alone, and empty times. */
static void test_no_series(void **state)
{
    result_t *r = make_result("csv", "ws://127.0.0.1:8080", 1);
    add_step(r, 0, "connect", 0, 0);
    char *csv = render_report(&reporter_csv, r, NULL);
    assert_string_equal(csv,
                        "second,t,step,ok,p50_ms,p95_ms,p99_ms,active,sent,received,errors\r\n");
    free(csv);
    free_result(r);

    r = series_result();
    r->started_at = 0;
    csv = render_report(&reporter_csv, r, NULL);
    assert_contains(csv, "\r\n0,,connect,10,");
    free(csv);
    free_result(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_totals_match_the_result),
        cmocka_unit_test(test_percentiles_and_times),
        cmocka_unit_test(test_step_names),
        cmocka_unit_test(test_no_series),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
