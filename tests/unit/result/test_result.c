/* Tests for src/result/result.c: error kind names, step lookup, error
 * totals and samples, per-second histograms, baseline deltas and
 * result_clear. Latencies below 2048 us are exact in a histogram. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "result/hist.h"
#include "result/result.h"
#include "helpers.h"

/* ---- error kinds ---------------------------------------------------------- */

/* The names users write in errors.KIND, in err_kind_t order. */
static const char *const kind_names[ERR_KIND_COUNT] = {
    "timeout",    "refused",    "reset",       "closed",
    "tls",        "dns",        "http_status", "unexpected_message",
    "protocol",   "blocked",    "keepalive",   "observe",
    "close_4400", "close_4401", "close_4403",  "close_4406",
    "close_4408", "close_4409", "close_4429",  "close_4500",
};

/* graphql-transport-ws's close codes each have their own kind; others are closed. */
static void test_err_kind_of_close(void **state)
{
    (void)state;
    assert_int_equal(err_kind_of_close(4409), ERR_CLOSE_4409);
    assert_string_equal(err_kind_name(err_kind_of_close(4400)), "close_4400");
    assert_string_equal(err_kind_name(err_kind_of_close(4500)), "close_4500");
    assert_string_equal(err_kind_name(err_kind_of_close(4429)), "close_4429");
    assert_int_equal(err_kind_of_close(1000), ERR_CLOSED);
    assert_int_equal(err_kind_of_close(1011), ERR_CLOSED);
    assert_int_equal(err_kind_of_close(4410), ERR_CLOSED);
    assert_int_equal(err_kind_of_close(0), ERR_CLOSED);
}

static void test_err_kind_names(void **state)
{
    for (int k = 0; k < ERR_KIND_COUNT; k++) {
        assert_string_equal(err_kind_name((err_kind_t)k), kind_names[k]);
        assert_int_equal(err_kind_from_name(kind_names[k]), k);
        /* round trip from the kind */
        assert_int_equal(err_kind_from_name(err_kind_name((err_kind_t)k)), k);
    }
    assert_null(err_kind_name(ERR_KIND_COUNT));
    assert_null(err_kind_name((err_kind_t)-1));
    assert_int_equal(err_kind_from_name("total"), -1);
    assert_int_equal(err_kind_from_name("Timeout"), -1);
    assert_int_equal(err_kind_from_name("timeout "), -1);
    assert_int_equal(err_kind_from_name(""), -1);
    assert_int_equal(err_kind_from_name(NULL), -1);
}

/* ---- steps and errors -------------------------------------------------------- */

static result_t *three_steps(void)
{
    result_t *r = make_result("chat", "ws://127.0.0.1:1", 3);
    add_step(r, 0, "connect", 10, 0);
    add_step(r, 1, "subscribe room", 10, 0);
    add_step(r, 2, "publish chat message", 40, 2);
    return r;
}

static void test_find_step(void **state)
{
    result_t *r = three_steps();
    assert_int_equal(result_find_step(r, "connect"), 0);
    assert_int_equal(result_find_step(r, "subscribe room"), 1);
    assert_int_equal(result_find_step(r, "publish chat message"), 2);
    /* whole names only, case and all */
    assert_int_equal(result_find_step(r, "publish"), -1);
    assert_int_equal(result_find_step(r, "Connect"), -1);
    assert_int_equal(result_find_step(r, ""), -1);
    assert_int_equal(result_find_step(r, NULL), -1);
    assert_int_equal(result_find_step(NULL, "connect"), -1);
    /* a step without a name (an older file) is skipped, not a crash */
    free(r->steps[1].name);
    r->steps[1].name = NULL;
    assert_int_equal(result_find_step(r, "subscribe room"), -1);
    assert_int_equal(result_find_step(r, "publish chat message"), 2);
    free_result(r);

    result_t empty = { 0 };
    assert_int_equal(result_find_step(&empty, "connect"), -1);
}

static void test_error_total(void **state)
{
    result_t r = { 0 };
    assert_int_equal(result_error_total(&r), 0);
    uint64_t want = 0;
    for (int k = 0; k < ERR_KIND_COUNT; k++) {
        r.errors[k].count = (uint64_t)(k + 1) * 1000003u;
        want += r.errors[k].count;
    }
    assert_int_equal(result_error_total(&r), want);
    r.errors[ERR_DNS].count = 0;
    assert_int_equal(result_error_total(&r), want - (ERR_DNS + 1) * 1000003u);
}

/* res_errors_add: counts add; src's samples are copied (not moved) while
 * dst has room, skipping texts dst already has. */
static void test_errors_add(void **state)
{
    res_errors_t dst = { 0 }, src = { 0 };
    dst.count = 2;
    add_sample(&dst, "a");
    src.count = 5;
    add_sample(&src, "a");
    add_sample(&src, "b");
    add_sample(&src, "c");

    assert_int_equal(res_errors_add(&dst, &src), 0);
    assert_int_equal(dst.count, 7);
    assert_int_equal(dst.nsamples, RES_MAX_SAMPLES);
    const char *want[RES_MAX_SAMPLES] = { "a", "b", "c" };
    for (unsigned i = 0; i < RES_MAX_SAMPLES; i++) {
        assert_string_equal(dst.samples[i], want[i]);
        assert_ptr_not_equal(dst.samples[i], src.samples[i]);
    }
    assert_int_equal(src.count, 5);
    assert_int_equal(src.nsamples, 3);

    /* dst full: only the count moves */
    res_errors_t more = { .count = 4 };
    add_sample(&more, "d");
    assert_int_equal(res_errors_add(&dst, &more), 0);
    assert_int_equal(dst.count, 11);
    assert_int_equal(dst.nsamples, RES_MAX_SAMPLES);
    for (unsigned i = 0; i < RES_MAX_SAMPLES; i++)
        assert_not_contains(dst.samples[i], "d");

    /* a result frees the samples it owns */
    result_t r = { 0 };
    r.errors[ERR_TIMEOUT] = dst;
    result_clear(&r);
    for (unsigned i = 0; i < src.nsamples; i++)
        free(src.samples[i]);
    free(more.samples[0]);
}

/* ---- per-second histograms ----------------------------------------------- */

static char *encode_n(uint64_t us, uint64_t n)
{
    hist_t *h = hist_new();
    assert_non_null(h);
    hist_record_n(h, us, n);
    char *s = hist_encode(h);
    assert_non_null(s);
    hist_free(h);
    return s;
}

static void test_second_hist(void **state)
{
    result_t *r = three_steps();
    r->nseconds = 3;
    r->series = calloc(3, sizeof *r->series);
    assert_non_null(r->series);
    r->series[0].step_hist = calloc(3, sizeof(char *));
    assert_non_null(r->series[0].step_hist);
    r->series[0].step_hist[2] = encode_n(1234, 5);
    r->series[2].step_hist = calloc(3, sizeof(char *));
    assert_non_null(r->series[2].step_hist);
    r->series[2].step_hist[0] = encode_n(99, 1);

    hist_t *h = result_second_hist(r, 0, 2);
    assert_non_null(h);
    assert_int_equal(hist_count(h), 5);
    assert_int_equal(hist_min(h), 1234);
    assert_int_equal(hist_max(h), 1234);
    hist_free(h);
    h = result_second_hist(r, 2, 0);
    assert_non_null(h);
    assert_int_equal(hist_count(h), 1);
    assert_int_equal(hist_max(h), 99);
    hist_free(h);

    assert_null(result_second_hist(r, 0, 0)); /* no sample of that step */
    assert_null(result_second_hist(r, 1, 2)); /* no sample that second */
    assert_null(result_second_hist(r, 3, 2)); /* past the series */
    assert_null(result_second_hist(r, 0, 3)); /* past the steps */

    /* a corrupt entry decodes to nothing rather than garbage */
    free(r->series[0].step_hist[2]);
    r->series[0].step_hist[2] = xstrdup("not a histogram");
    assert_null(result_second_hist(r, 0, 2));
    free_result(r);
}

/* ---- baseline deltas -------------------------------------------------------- */

/* A one-step result named name whose step holds n samples of us. */
static result_t *one_step(const char *name, uint64_t us, uint64_t n)
{
    result_t *r = make_result("chat", "ws://127.0.0.1:1", 1);
    add_step(r, 0, name, n, 0);
    hist_record_n(r->steps[0].latency, us, n);
    return r;
}

static void test_delta_pct(void **state)
{
    result_t *r = three_steps();
    double delta = -12345;
    assert_false(result_delta_pct(r, 2, 50, &delta)); /* no baseline */
    assert_true(delta == -12345);

    hist_record_n(r->steps[2].latency, 1500, 40);
    hist_record_n(r->steps[1].latency, 600, 10);
    r->baseline = make_result("chat", "ws://127.0.0.1:1", 3);
    add_step(r->baseline, 0, "publish chat message", 40, 0);
    hist_record_n(r->baseline->steps[0].latency, 1000, 40);
    add_step(r->baseline, 1, "subscribe room", 10, 0);
    hist_record_n(r->baseline->steps[1].latency, 800, 10);
    add_step(r->baseline, 2, "connect", 10, 0); /* no samples */

    /* matched by name, not by index */
    assert_true(result_delta_pct(r, 2, 50, &delta));
    assert_true(fabs(delta - 50.0) < 1e-9);
    assert_true(result_delta_pct(r, 1, 99, &delta));
    assert_true(fabs(delta - -25.0) < 1e-9);

    assert_false(result_delta_pct(r, 0, 50, &delta)); /* neither side has samples */
    hist_record(r->steps[0].latency, 100);
    assert_false(result_delta_pct(r, 0, 50, &delta)); /* the baseline has none */
    assert_false(result_delta_pct(r, 3, 50, &delta)); /* no such step */
    free(r->baseline->steps[1].name);
    r->baseline->steps[1].name = xstrdup("renamed");
    assert_false(result_delta_pct(r, 1, 50, &delta)); /* baseline lacks the step */
    free_result(r);

    /* this run has no samples, the baseline has */
    r = one_step("ping", 0, 0);
    r->baseline = one_step("ping", 1000, 3);
    assert_false(result_delta_pct(r, 0, 50, &delta));
    free_result(r);
}

/* ---- result_clear --------------------------------------------------------- */

static void test_clear(void **state)
{
    result_t *r = three_steps();
    r->spec_hash = xstrdup("abc");
    r->git_commit = xstrdup("0123abc");
    r->git_ref = xstrdup("main");
    r->region = xstrdup("eu");
    r->missing_shards = xstrdup("2 of 3");
    r->abort_reason = xstrdup("p99(x) < 1ms");
    r->baseline_path = xstrdup("base/result.json");
    r->baseline = one_step("connect", 500, 2);
    r->baseline->baseline = one_step("connect", 400, 1); /* nested: freed too */
    add_sample(&r->errors[ERR_TIMEOUT], "t");
    r->errors[ERR_TIMEOUT].count = 1;
    r->nassertions = 1;
    r->assertions = calloc(1, sizeof *r->assertions);
    assert_non_null(r->assertions);
    set_assertion(&r->assertions[0], "errors.total == 0", false, true, 1, 0, "1", "== 0");
    r->nseconds = 2;
    r->series = calloc(2, sizeof *r->series);
    assert_non_null(r->series);
    r->series[1].step_hist = calloc(3, sizeof(char *));
    assert_non_null(r->series[1].step_hist);
    r->series[1].step_hist[1] = encode_n(10, 1);
    r->nshards = 2;
    r->shards = calloc(2, sizeof *r->shards);
    assert_non_null(r->shards);
    r->shards[0].region = xstrdup("eu");
    r->passed = true;
    r->users_planned = 7;

    /* LeakSanitizer (the sanitizer build) checks that all of it is freed */
    result_clear(r);
    result_t zero;
    memset(&zero, 0, sizeof zero);
    assert_memory_equal(r, &zero, sizeof zero);
    result_clear(r); /* a cleared result clears again */
    free(r);
    result_clear(NULL);
}

/* ---- verdict --------------------------------------------------------------- */

/* The one rule, every combination of the flags: interrupted before aborted
 * before the assertions. */
static void test_verdict(void **state)
{
    (void)state;
    static const struct {
        bool passed, aborted, interrupted;
        res_verdict_t want;
    } cases[] = {
        { true, false, false, RES_VERDICT_PASS },
        { false, false, false, RES_VERDICT_FAIL },
        { true, true, false, RES_VERDICT_ABORTED }, /* numbers recovered after the abort */
        { false, true, false, RES_VERDICT_ABORTED },
        { true, false, true, RES_VERDICT_INTERRUPTED }, /* held so far: still no pass */
        { false, false, true, RES_VERDICT_INTERRUPTED },
        { false, true, true, RES_VERDICT_INTERRUPTED },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        result_t r;
        memset(&r, 0, sizeof r);
        r.passed = cases[i].passed;
        r.aborted = cases[i].aborted;
        r.interrupted = cases[i].interrupted;
        if (result_verdict(&r) != cases[i].want)
            fail_msg("case %zu: got %s", i, result_verdict_name(result_verdict(&r)));
    }
    static const char *const names[] = { "pass", "fail", "aborted", "interrupted" };
    for (int v = 0; v < RES_VERDICT_COUNT; v++) {
        assert_string_equal(result_verdict_name((res_verdict_t)v), names[v]);
        assert_int_equal(result_verdict_from_name(names[v]), v);
    }
    assert_null(result_verdict_name(RES_VERDICT_COUNT));
    assert_int_equal(result_verdict_from_name("passed"), -1);
    assert_int_equal(result_verdict_from_name(NULL), -1);
}

static void test_signal_names_and_elapsed(void **state)
{
    (void)state;
    assert_string_equal(result_signal_name(SIGINT), "SIGINT");
    assert_string_equal(result_signal_name(SIGTERM), "SIGTERM");
    assert_null(result_signal_name(0));
    assert_null(result_signal_name(SIGKILL));
    assert_int_equal(result_signal_from_name("SIGTERM"), SIGTERM);
    assert_int_equal(result_signal_from_name("SIGKILL"), 0);
    result_t r;
    memset(&r, 0, sizeof r);
    r.duration_s = 7;
    assert_true(result_elapsed_s(&r) == 7); /* times unknown */
    r.started_at = 1000;
    r.ended_at = 1012.5;
    assert_true(result_elapsed_s(&r) == 12.5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_kind_names), cmocka_unit_test(test_err_kind_of_close),
        cmocka_unit_test(test_find_step),      cmocka_unit_test(test_error_total),
        cmocka_unit_test(test_errors_add),     cmocka_unit_test(test_second_hist),
        cmocka_unit_test(test_delta_pct),      cmocka_unit_test(test_clear),
        cmocka_unit_test(test_verdict),        cmocka_unit_test(test_signal_names_and_elapsed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
