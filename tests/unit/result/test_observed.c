/* Tests for src/result/observed.c (max, last, rate and drift over a
 * scraped series, selectors) and the server.* assertions of asrt.c over
 * them, on series built by hand so every value is exact. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result/asrt.h"
#include "result/observed.h"
#include "result/result.h"
#include "helpers.h"

static void push(res_obs_series_t *s, double t, double v)
{
    assert_int_equal(obs_series_push(s, t, v), 0);
}

static void series_free(res_obs_series_t *s)
{
    free(s->t);
    free(s->v);
}

/* rss: 1000 + 10 t at t = 0..10 s */
static void linear(res_obs_series_t *s)
{
    for (int t = 0; t <= 10; t++)
        push(s, t, 1000 + 10 * t);
}

static void test_max_and_last(void **state)
{
    (void)state;
    res_obs_series_t s = { 0 };
    double v = -1;
    const char *why = NULL;
    assert_int_equal(obs_max(&s, &v, &why), -1);
    assert_string_equal(why, "no samples");
    assert_int_equal(obs_last(NULL, &v, &why), -1);
    push(&s, 0, 5);
    push(&s, 1, 9);
    push(&s, 2, -3);
    assert_int_equal(obs_max(&s, &v, &why), 0);
    assert_true(v == 9);
    assert_int_equal(obs_last(&s, &v, &why), 0);
    assert_true(v == -3);
    series_free(&s);
}

/* The slope is 10/s exactly; over the window [2, 10] (9 samples, mean
 * 1060) the growth is 10 x 8 = 80, so drift = 80 / 1060. */
static void test_drift_of_a_line(void **state)
{
    (void)state;
    res_obs_series_t s = { 0 };
    double v = -1;
    const char *why = NULL;
    linear(&s);
    assert_int_equal(obs_drift(&s, 2, 10, &v, &why), 0);
    assert_true(v == 80.0 / 1060.0);
    /* the whole run: mean 1050, growth 100 */
    assert_int_equal(obs_drift(&s, 0, 10, &v, &why), 0);
    assert_true(v == 100.0 / 1050.0);
    /* a window longer than its samples still scales by its own length */
    assert_int_equal(obs_drift(&s, 8, 12, &v, &why), 0);
    assert_true(v == 40.0 / 1090.0);
    series_free(&s);
}

/* Flat with noise around it: the slope of +1, -1, +1, -1 ... is small, and
 * a flat series drifts 0; a falling one drifts below 0. */
static void test_drift_flat_and_falling(void **state)
{
    (void)state;
    res_obs_series_t flat = { 0 }, fall = { 0 }, one = { 0 };
    double v = -1;
    const char *why = NULL;
    for (int t = 0; t < 5; t++) {
        push(&flat, t, 500);
        push(&fall, t, 100 - 10 * t); /* mean 80, growth -10 x 4 */
    }
    assert_int_equal(obs_drift(&flat, 0, 4, &v, &why), 0);
    assert_true(v == 0);
    assert_int_equal(obs_drift(&fall, 0, 4, &v, &why), 0);
    assert_true(v == -40.0 / 80.0);
    push(&one, 3, 7);
    assert_int_equal(obs_drift(&one, 0, 4, &v, &why), -1);
    assert_string_equal(why, "fewer than 2 samples in the steady window");
    assert_int_equal(obs_drift(&fall, 10, 20, &v, &why), -1); /* none inside */
    series_free(&flat);
    series_free(&fall);
    series_free(&one);
}

/* A counter 5, 8, 12, (reset) 2, 6 over t = 0..4: increases 3 + 4 + 2 + 4
 * = 13 in 4 s. */
static void test_rate_of_a_counter(void **state)
{
    (void)state;
    res_obs_series_t s = { 0 };
    double v = -1;
    const char *why = NULL;
    const double vals[] = { 5, 8, 12, 2, 6 };
    for (int t = 0; t < 5; t++)
        push(&s, t, vals[t]);
    assert_int_equal(obs_rate(&s, 0, 4, &v, &why), 0);
    assert_true(v == 13.0 / 4.0);
    /* only t = 1, 2: 4 in 1 s */
    assert_int_equal(obs_rate(&s, 0.5, 2.5, &v, &why), 0);
    assert_true(v == 4.0);
    assert_int_equal(obs_rate(&s, 3.5, 9, &v, &why), -1);
    series_free(&s);
}

static void expect_norm(const char *in, const char *want)
{
    char out[256], err[256] = "";
    if (obs_selector_norm(in, out, sizeof(out), err, sizeof(err)) != 0)
        fail_msg("\"%s\": %s", in, err);
    assert_string_equal(out, want);
}

static void test_selectors(void **state)
{
    (void)state;
    char out[256], err[256];
    expect_norm(" process_cpu_seconds_total ", "process_cpu_seconds_total");
    expect_norm("http_requests_total{code=\"500\"}", "http_requests_total{code=\"500\"}");
    expect_norm("x { a = \"1\" , b=\"q\\\"}\" , }", "x{a=\"1\",b=\"q\\\"}\"}");
    expect_norm("ns:metric_total{}", "ns:metric_total{}");
    const char *bad[] = { "",          "9lives",
                          "x{a=1}",    "x{a!=\"1\"}",
                          "x{a=\"1\"", "x{a=\"1\" b=\"2\"}",
                          "x y",       "x{:a=\"1\"}" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (obs_selector_norm(bad[i], out, sizeof(out), err, sizeof(err)) == 0)
            fail_msg("\"%s\" was accepted as \"%s\"", bad[i], out);
}

/* ---- server.* assertions --------------------------------------------------- */

static result_t *server_result(void)
{
    result_t *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    r->server = calloc(1, sizeof(res_server_t));
    assert_non_null(r->server);
    r->server->series = calloc(3, sizeof(res_obs_series_t));
    r->server->nseries = 3;
    r->server->window_start_s = 2;
    r->server->window_end_s = 10;
    res_obs_series_t *rss = &r->server->series[0], *cpu = &r->server->series[1],
                     *err = &r->server->series[2];
    rss->name = strdup("process_resident_memory_bytes");
    cpu->name = strdup("process_cpu_seconds_total");
    err->name = strdup("http_requests_total{code=\"500\"}");
    for (int t = 0; t <= 10; t++) {
        push(rss, t, 1073741824.0 + 10485760.0 * t); /* 1 GiB + 10 MiB a second */
        push(cpu, t, 0.5 * t);                       /* half a core */
        push(err, t, t < 5 ? 0 : 3);
    }
    return r;
}

static void expect_eval(const result_t *r, const char *text, bool passed, const char *otext,
                        const char *etext)
{
    asrt_t a;
    res_assertion_t ra;
    char err[512];
    if (asrt_parse(text, &a, err, sizeof(err)) != 0)
        fail_msg("parse \"%s\": %s", text, err);
    assert_true(asrt_is_server(&a));
    assert_int_equal(asrt_eval(&a, r, &ra), 0);
    if (ra.passed != passed || strcmp(ra.observed_text, otext) != 0 ||
        strcmp(ra.expected_text, etext) != 0)
        fail_msg("\"%s\": got %s, observed \"%s\", expected \"%s\"; want %s, \"%s\", \"%s\"", text,
                 ra.passed ? "pass" : "fail", ra.observed_text, ra.expected_text,
                 passed ? "pass" : "fail", otext, etext);
    free(ra.text);
    free(ra.observed_text);
    free(ra.expected_text);
    asrt_clear(&a);
}

static void test_server_assertions(void **state)
{
    (void)state;
    result_t *r = server_result();
    /* max: 1 GiB + 100 MiB = 1.09765625 GiB */
    expect_eval(r, "max(server.process_resident_memory_bytes) < 2GB", true, "1.10 GB", "< 2 GB");
    expect_eval(r, "max(server.process_resident_memory_bytes) < 1200MB", true, "1124 MB",
                "< 1200 MB");
    expect_eval(r, "last(server.process_resident_memory_bytes) >= 1073741824", true,
                "1,178,599,424", ">= 1,073,741,824");
    /* drift over [2, 10]: growth 80 MiB over a mean of 1084 MiB = 7.38% */
    expect_eval(r, "drift(server.process_resident_memory_bytes) < 5%", false, "7.38%", "< 5.00%");
    expect_eval(r, "drift(server.process_resident_memory_bytes) < 8%", true, "7.38%", "< 8.00%");
    expect_eval(r, "rate(server.process_cpu_seconds_total) < 0.8", true, "0.500/s", "< 0.8/s");
    expect_eval(r, "rate(server.http_requests_total{code=\"500\"}) == 0", false, "0.375/s",
                "== 0/s");
    expect_eval(r, "last(server.http_requests_total{ code = \"500\" }) <= 3", true, "3", "<= 3");
    expect_eval(r, "max(server.not_there) < 1", false, "not observed", "< 1");
    res_server_free(r->server);
    r->server = NULL;
    expect_eval(r, "max(server.x) < 1", false, "no server metrics in the result", "< 1");
    result_clear(r);
    free(r);
}

static void expect_parse_error(const char *text, const char *part)
{
    asrt_t a;
    char err[512] = "";
    if (asrt_parse(text, &a, err, sizeof(err)) == 0)
        fail_msg("\"%s\" parsed", text);
    if (!strstr(err, part))
        fail_msg("\"%s\": error \"%s\" lacks \"%s\"", text, err, part);
}

static void test_server_parse_errors(void **state)
{
    (void)state;
    expect_parse_error("drift(server.rss) < 5", "drift is a percentage");
    expect_parse_error("max(server.rss) < 2XB", "a plain number or a size");
    expect_parse_error("p99(server.rss) < 2", "unknown aggregate \"p99\" for a server metric");
    expect_parse_error("drift(publish) < 5%", "drift() takes a server metric");
    expect_parse_error("last(publish) < 5", "last() takes a server metric");
    expect_parse_error("server.rss < 5", "write max(server.rss)");
    expect_parse_error("max(server.rss) < 5, abort_on_fail", "drop \"abort_on_fail\"");
    expect_parse_error("max(server.rss) < baseline", "not a baseline");
    expect_parse_error("max(server.r{a=1}) < 5", "server metric:");
    /* max() of a step stays a latency */
    asrt_t a;
    char err[256];
    assert_int_equal(asrt_parse("max(publish) < 200ms", &a, err, sizeof(err)), 0);
    assert_false(asrt_is_server(&a));
    assert_int_equal(a.agg, AGG_MAX);
    asrt_clear(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_max_and_last),
        cmocka_unit_test(test_drift_of_a_line),
        cmocka_unit_test(test_drift_flat_and_falling),
        cmocka_unit_test(test_rate_of_a_counter),
        cmocka_unit_test(test_selectors),
        cmocka_unit_test(test_server_assertions),
        cmocka_unit_test(test_server_parse_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
